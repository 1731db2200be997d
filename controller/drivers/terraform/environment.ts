/** The environment terraform runs with for one operation: settings for unattended runs, then the module's inputs. */
import path from 'node:path';
import { withoutControllerSecrets, type DriverOp, type DriverRequest } from '../exec';

export function pluginCacheDir(root: string): string {
  return path.join(root, 'plugin-cache');
}

/** What TF_VAR_prewarm_transition says: a module keys on it to scale to zero when stopped. */
export function transitionOf(op: DriverOp): 'start' | 'stop' | 'delete' {
  return op === 'stop' ? 'stop' : op === 'delete' ? 'delete' : 'start';
}

/** The controller's own environment minus its secrets, the operator's settings, then the request's variables. */
export function terraformEnvironment(req: DriverRequest, pluginCache: string, operatorEnv: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...operatorEnv,
    TF_IN_AUTOMATION: '1',
    TF_INPUT: '0',
    CHECKPOINT_DISABLE: '1',
    TF_PLUGIN_CACHE_DIR: pluginCache,
    // Each instance's copy of a module without a lock file gets one written at its init; without this setting
    // terraform would not use the shared cache for providers that no lock file yet lists, and download every
    // provider once per instance.
    TF_PLUGIN_CACHE_MAY_BREAK_DEPENDENCY_LOCK_FILE: '1',
    PREWARM_OP: req.op,
    PREWARM_INSTANCE_ID: req.instance.id,
    PREWARM_INSTANCE_NAME: req.instance.name,
  };
  withoutControllerSecrets(env);
  withoutStateRedirects(env);
  // Parameters first: the instance's own variables must not be overridable by a preset parameter of that name.
  for (const [name, value] of Object.entries(req.parameters)) env[`TF_VAR_${name}`] = value;
  env['TF_VAR_prewarm_instance_id'] = req.instance.id;
  env['TF_VAR_prewarm_instance_name'] = req.instance.name;
  env['TF_VAR_prewarm_template'] = req.template.name;
  env['TF_VAR_prewarm_template_version'] = String(req.template.version);
  env['TF_VAR_prewarm_preset'] = req.preset.name;
  env['TF_VAR_prewarm_transition'] = transitionOf(req.op);
  return env;
}

/**
 * Settings that would make terraform keep the instance's state somewhere other than its working directory's
 * `terraform.tfstate` (a workspace, another data dir) or change what a command does (extra CLI arguments such as a
 * `-target` on destroy). The driver decides what runs and where the state is; an operator's shell must not.
 */
function withoutStateRedirects(env: NodeJS.ProcessEnv): void {
  for (const name of Object.keys(env)) {
    if (name === 'TF_WORKSPACE' || name === 'TF_DATA_DIR' || name === 'TF_CLI_ARGS' || name.startsWith('TF_CLI_ARGS_')) delete env[name];
  }
}
