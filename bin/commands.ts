/** Every `prewarm` command: the controller's, `prewarm token rotate`, plus `prewarm schema`, which prints the provider's schema. */
import type { Command } from '../controller/cli/command';
import { CONTROLLER_COMMANDS } from '../controller/cli/dispatch';
import { tokenRotateCommand } from '../controller/cli/token-command';
import { schemaCommand } from './schema-command';

export const COMMANDS: readonly Command[] = [...CONTROLLER_COMMANDS, tokenRotateCommand, schemaCommand];
