/** Every `prewarm` command: the controller's, plus `prewarm schema`, which prints the provider's schema. */
import type { Command } from '../controller/cli/command';
import { CONTROLLER_COMMANDS } from '../controller/cli/dispatch';
import { schemaCommand } from './schema-command';

export const COMMANDS: readonly Command[] = [...CONTROLLER_COMMANDS, schemaCommand];
