/**
 * The provider's schema, defined once. Everything else is derived from these definitions:
 *   - the tfplugin6 Schema messages of GetProviderSchema (schema-proto.ts),
 *   - the implied cty object types the values codec decodes and encodes with (implied-type.ts),
 *   - the `terraform providers schema -json` export checked in as schemas/provider.json (schema-export.ts),
 *   - the mapping of validation paths onto AttributePaths (paths.ts).
 *
 * Descriptions are Markdown (description_kind MARKDOWN): they end up in generated docs and CDKTF bindings.
 */
import { ty, type CtyType } from './values';
import { formatDuration } from '../controller/domain/duration';
import { formatLifecycleDuration } from '../controller/domain/lifecycle-duration';
import { NOTIFICATION_EVENTS } from '../controller/domain/workspace';
import { TARGET_FORMATS } from '../controller/domain/notification-target';
import {
  MAX_CRON,
  MAX_DESCRIPTION,
  MAX_INSTANCES,
  MAX_LEAD_TIME_MS,
  MAX_MAP_ENTRIES,
  MAX_MAP_KEY,
  MAX_MAP_VALUE_BYTES,
  MAX_LIFECYCLE_DURATION_MS,
  MAX_NAME,
  MAX_OWNER,
  MAX_SECRET_BYTES,
  MAX_URL,
  MIN_SECRET_CHARS,
  TTL_MAX_SECONDS,
  TTL_MIN_SECONDS,
} from '../controller/domain/limits';

/**
 * How Terraform treats an attribute. `optional_computed` is Terraform's optional+computed pair: the provider plans a
 * value (a default) when the configuration leaves the attribute out.
 */
export type AttributeMode = 'required' | 'optional' | 'computed' | 'optional_computed';

/** Whether the configuration may set the attribute (the API gets it). */
export function isConfigurable(mode: AttributeMode): boolean {
  return mode !== 'computed';
}

/** Terraform's flags for a mode: required, optional, computed. */
export function modeFlags(mode: AttributeMode): { required: boolean; optional: boolean; computed: boolean } {
  return {
    required: mode === 'required',
    optional: mode === 'optional' || mode === 'optional_computed',
    computed: mode === 'computed' || mode === 'optional_computed',
  };
}

export interface AttributeDef {
  readonly type: CtyType;
  readonly mode: AttributeMode;
  readonly description: string;
  readonly sensitive?: boolean;
  /**
   * Provider behaviour, not part of the wire schema: a change of this attribute on an existing resource is
   * answered with requires_replace in PlanResourceChange.
   */
  readonly requiresReplace?: boolean;
}

/**
 * A nested block. Only LIST nesting is used: it is what `prebuilds { … }` and repeated `schedule { … }` blocks
 * need, and LIST blocks are never null on the wire (absent = empty list), which keeps plans simple.
 */
export interface NestedBlockDef {
  readonly nesting: 'list';
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly block: BlockDef;
}

export interface BlockDef {
  readonly description: string;
  readonly attributes: Readonly<Record<string, AttributeDef>>;
  readonly blocks?: Readonly<Record<string, NestedBlockDef>>;
}

export interface SchemaDef {
  /** The schema version stored in state as schema_version (UpgradeResourceState receives it). */
  readonly version: number;
  readonly block: BlockDef;
}

/** Source address the provider is published under (and the key of the schema export). */
export const PROVIDER_ADDRESS = 'registry.terraform.io/prewarm/prewarm';

export const TEMPLATE_TYPE = 'prewarm_template';
export const PRESET_TYPE = 'prewarm_preset';
export const WORKSPACE_TYPE = 'prewarm_workspace';
export const NOTIFICATION_TARGET_TYPE = 'prewarm_notification_target';

/** How long a workspace create waits for a fallback build when wait_ready is not set. */
export const DEFAULT_WAIT_READY = '30m';
/** The longest wait_ready: a build that takes longer than a day is not one a Terraform run should sit through. */
export const MAX_WAIT_READY_MS = 24 * 3_600_000;

/** The domain's name rule, in Markdown for the registry docs. */
const NAME_RULE = `1–${MAX_NAME} characters of letters, digits, \`.\`, \`_\` and \`-\`, starting with a letter or digit`;

/** The domain's rules for parameters and config maps (controller/domain/text.ts), in Markdown. */
const MAP_RULE =
  `At most ${MAX_MAP_ENTRIES} entries. Keys: 1–${MAX_MAP_KEY} characters of letters, digits, \`_\`, \`-\`, \`.\` and \`/\`, ` +
  `starting with a letter, digit or \`_\`. Values: at most ${MAX_MAP_VALUE_BYTES} bytes of UTF-8, without control ` +
  'characters other than tab and newline.';

export const PROVIDER_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'The prewarm provider manages templates, presets (pools of prebuilt instances), workspaces (instances claimed ' +
      'from a pool) and notification targets (webhooks) through the API of a `prewarm controller`. It never opens the ' +
      'controller\'s database.',
    attributes: {
      endpoint: {
        type: ty.string,
        mode: 'optional',
        description:
          'Address of the controller\'s gRPC API: `HOST:PORT` (plaintext, meant for loopback) or `https://HOST:PORT` (TLS). ' +
          'Defaults to the `PREWARM_ENDPOINT` environment variable, then `127.0.0.1:7420`.',
      },
      token: {
        type: ty.string,
        mode: 'optional',
        sensitive: true,
        description:
          'Bearer token for the controller\'s API (the controller prints one on first start). ' +
          'Defaults to the `PREWARM_TOKEN` environment variable. Required in one of the two places.',
      },
      ca_cert: {
        type: ty.string,
        mode: 'optional',
        description:
          'CA certificate that signed the controller\'s TLS certificate: PEM text or the path of a PEM file. ' +
          'Implies TLS. Defaults to the `PREWARM_CA_CERT` environment variable.',
      },
      client_cert: {
        type: ty.string,
        mode: 'optional',
        description:
          'Client certificate for a controller started with `--tls-client-ca` (mutual TLS): PEM text or the path of a ' +
          'PEM file, signed by that CA. Needs `client_key`; implies TLS. Defaults to the `PREWARM_CLIENT_CERT` ' +
          'environment variable.',
      },
      client_key: {
        type: ty.string,
        mode: 'optional',
        sensitive: true,
        description:
          'Private key of `client_cert` (unencrypted PEM): PEM text or the path of a PEM file. Needs `client_cert`. ' +
          'Defaults to the `PREWARM_CLIENT_KEY` environment variable.',
      },
      insecure: {
        type: ty.bool,
        mode: 'optional',
        description:
          'Use TLS without verifying the controller\'s certificate (encryption without identity; for tests only). ' +
          'Defaults to the `PREWARM_INSECURE` environment variable (`true`/`1`), then `false`.',
      },
    },
  },
};

/** The domain's lifecycle duration rule, in Markdown. */
const LIFECYCLE_DURATION_RULE =
  'A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than ' +
  `zero and at most \`${formatLifecycleDuration(MAX_LIFECYCLE_DURATION_MS)}\``;

function policyAttr(description: string): AttributeDef {
  return { type: ty.string, mode: 'optional', description: `${description} ${LIFECYCLE_DURATION_RULE}; absent turns the rule off.` };
}

const LIFECYCLE_POLICY_BLOCK: NestedBlockDef = {
  nesting: 'list',
  maxItems: 1,
  block: {
    description:
      'What happens to workspaces claimed from this template\'s pools. The policy is copied onto a workspace when it is ' +
      'claimed, so a change applies to later claims only. Changing only this block does not bump `version` (no pool ' +
      'instance is rebuilt). An empty block turns nothing on. At most one `lifecycle_policy` block.',
    attributes: {
      autostop_after: policyAttr(
        'A running workspace is stopped this long after it was claimed or started; reported activity moves the ' +
          'deadline to now plus this when that is later.',
      ),
      autostop_reminder: policyAttr(
        'One notification this long before the autostop deadline (once per deadline). Must be shorter than `autostop_after`.',
      ),
      stopped_ttl: policyAttr('A stopped workspace is deleted this long after it stopped.'),
      dormant_after: policyAttr('A workspace without activity for this long is stopped and marked dormant.'),
      dormant_delete_after: policyAttr('A dormant workspace is deleted this long after it became dormant. Needs `dormant_after`.'),
      auto_destroy_reminder: policyAttr(
        'One notification this long before a workspace\'s scheduled (`auto_destroy_at`) or inactivity ' +
          '(`auto_destroy_inactivity`) destroy.',
      ),
    },
  },
};

export const TEMPLATE_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'A template: how an instance is built, as a driver plus its settings. Every change bumps the template\'s ' +
      '`version`; instances built from an older version are replaced by the controller (surge, then retire).',
    attributes: {
      id: { type: ty.string, mode: 'computed', description: 'The template\'s name (the import ID).' },
      name: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: `Name of the template, ${NAME_RULE}. Changing it replaces the template.`,
      },
      driver: {
        type: ty.string,
        mode: 'required',
        description:
          'The driver that builds instances: `"terraform"` (each instance a Terraform module from the controller\'s ' +
          '`--modules-dir`), `"http"` (a platform\'s API), or the name of a program in the controller\'s ' +
          '`--driver-dir` (no path separators).',
      },
      config: {
        type: ty.map(ty.string),
        mode: 'optional',
        description:
          'Driver settings, passed to the driver with every operation (for example `{ image = "node:20" }`; ' +
          '`{ module = "workspace" }` for terraform; `{ url = "https://…", secret_ref = "name" }` for http). ' +
          MAP_RULE,
      },
      version: {
        type: ty.number,
        mode: 'computed',
        description: 'The template version the controller assigned; it increases with every change of `driver` or `config`.',
      },
    },
    blocks: { lifecycle_policy: LIFECYCLE_POLICY_BLOCK },
  },
};

const SCHEDULE_BLOCK: NestedBlockDef = {
  nesting: 'list',
  minItems: 1,
  block: {
    description:
      'A window in which the pool holds `instances` instances. Windows are whole hours in the block\'s time zone ' +
      'and must not overlap each other.',
    attributes: {
      cron: {
        type: ty.string,
        mode: 'required',
        description:
          'Five cron fields `minute hour day-of-month month day-of-week`; the minute field must be `*`. ' +
          '`* 8-18 * * 1-5` means every minute from 08:00:00 to 18:59:59, Monday to Friday. ' +
          `At most ${MAX_CRON} characters.`,
      },
      instances: {
        type: ty.number,
        mode: 'required',
        description: `Desired number of ready instances while the window is open (0–${MAX_INSTANCES}).`,
      },
    },
  },
};

const SCHEDULING_BLOCK: NestedBlockDef = {
  nesting: 'list',
  maxItems: 1,
  block: {
    description:
      'Time-based sizing: while a `schedule` window is open its `instances` count replaces the base count. ' +
      'At most one `scheduling` block.',
    attributes: {
      timezone: {
        type: ty.string,
        mode: 'required',
        description: 'IANA time zone the windows are evaluated in, such as `America/New_York` or `UTC`.',
      },
      lead_time: {
        type: ty.string,
        mode: 'optional',
        description: `Warm the pool this long before a window opens: a duration such as \`30m\` or \`1h30m\`, at most \`${formatDuration(MAX_LEAD_TIME_MS)}\`.`,
      },
    },
    blocks: { schedule: SCHEDULE_BLOCK },
  },
};

const EXPIRATION_BLOCK: NestedBlockDef = {
  nesting: 'list',
  maxItems: 1,
  block: {
    description: 'When ready instances are replaced by fresh ones. At most one `expiration_policy` block.',
    attributes: {
      ttl: {
        type: ty.number,
        mode: 'required',
        description:
          `Seconds after an instance became ready at which it expires and is replaced: \`0\` (never) or ${TTL_MIN_SECONDS}–${TTL_MAX_SECONDS}.`,
      },
    },
  },
};

const PREBUILDS_BLOCK: NestedBlockDef = {
  nesting: 'list',
  maxItems: 1,
  block: {
    description: 'The preset\'s pool of prebuilt instances. Without this block the preset has no pool.',
    attributes: {
      instances: {
        type: ty.number,
        mode: 'required',
        description: `Base desired number of ready instances (0–${MAX_INSTANCES}), used while no \`schedule\` window is open.`,
      },
    },
    blocks: { expiration_policy: EXPIRATION_BLOCK, scheduling: SCHEDULING_BLOCK },
  },
};

export const PRESET_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'A preset: a named parameter set of a template, optionally with a pool of prebuilt, ready-to-claim instances ' +
      'sized by cron windows.',
    attributes: {
      id: { type: ty.string, mode: 'computed', description: '`TEMPLATE/NAME` (the import ID).' },
      template: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: 'Name of the template the preset belongs to. Changing it replaces the preset.',
      },
      name: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: `Name of the preset, ${NAME_RULE}; unique within its template. Changing it replaces the preset.`,
      },
      description: {
        type: ty.string,
        mode: 'optional',
        description: `Free text for people: one line of at most ${MAX_DESCRIPTION} characters, without control characters.`,
      },
      default: {
        type: ty.bool,
        mode: 'optional',
        description: 'Whether this is the template\'s default preset. At most one preset per template may be the default.',
      },
      parameters: {
        type: ty.map(ty.string),
        mode: 'optional',
        description: `Parameter values passed to the driver for instances of this preset. Values must not be empty. ${MAP_RULE}`,
      },
    },
    blocks: { prebuilds: PREBUILDS_BLOCK },
  },
};

export const PRESET_DATA_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'Live status of a preset\'s pool, as the controller would explain it now: desired and actual counts, status ' +
      'and backoff.',
    attributes: {
      template: { type: ty.string, mode: 'required', description: 'Name of the template.' },
      name: { type: ty.string, mode: 'required', description: 'Name of the preset.' },
      id: { type: ty.string, mode: 'computed', description: '`TEMPLATE/NAME`.' },
      desired: {
        type: ty.number,
        mode: 'computed',
        description: 'Number of ready instances the pool should have now (from the base count or the open window).',
      },
      ready: { type: ty.number, mode: 'computed', description: 'Ready, unclaimed instances in the pool.' },
      starting: { type: ty.number, mode: 'computed', description: 'Instances being built (they count toward `desired`).' },
      status: {
        type: ty.string,
        mode: 'computed',
        description: 'Pool status: `healthy`, `hard_limited` (creates stopped after repeated failures) or `validation_failed`.',
      },
      backoff_until: {
        type: ty.string,
        mode: 'computed',
        description: 'RFC 3339 time until which creates are backing off after a failure; null when not backing off.',
      },
    },
  },
};

export const WORKSPACE_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'A workspace: an instance claimed from a preset\'s pool for an owner, with the lifecycle policy of its template ' +
      '(autostop, stopped TTL, dormancy) and its own destroy settings. Create claims the oldest ready instance; when ' +
      'the pool is empty the controller builds one for the claim, and create waits for it (`wait_ready`). Destroy ' +
      'deletes the instance through its driver and archives the record. A workspace deleted outside Terraform (by ' +
      '`prewarm workspace delete`, or by a policy: `auto_destroy_at`, `auto_destroy_inactivity`, `stopped_ttl`, ' +
      '`dormant_delete_after`) reads as gone, and the next plan claims a new one. A workspace whose build or delete ' +
      'failed (`state` = `failed`) is planned for replacement.',
    attributes: {
      id: {
        type: ty.string,
        mode: 'computed',
        description: 'The workspace\'s instance id (the import ID; an id prefix of 8 or more characters or the name imports too).',
      },
      template: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: 'Name of the template to claim from. Changing it claims a new workspace (replaces this one).',
      },
      preset: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: 'Name of the preset (in `template`) whose pool the workspace is claimed from. Changing it replaces the workspace.',
      },
      owner: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description:
          `Who the workspace is for (a person, a team, a CI job): at most ${MAX_OWNER} characters, without control ` +
          'characters, not blank. Changing it replaces the workspace.',
      },
      auto_destroy_at: {
        type: ty.string,
        mode: 'optional',
        description:
          'Destroy the workspace at this instant: RFC 3339 with a time zone, such as `2026-12-24T18:00:00Z` or ' +
          '`2026-12-24T13:00:00-05:00`. It must be in the future when it is applied. Changed in place; removing it ' +
          'cancels the scheduled destroy. Once the destroy has run the workspace is gone (archived), so the next plan ' +
          'claims a new one: no `ignore_changes` is needed for the controller clearing the setting.',
      },
      auto_destroy_inactivity: {
        type: ty.string,
        mode: 'optional',
        description:
          'Destroy the workspace after this long without reported activity (`prewarm workspace activity`); every ' +
          `activity report re-arms it. ${LIFECYCLE_DURATION_RULE}; longer than the template's \`auto_destroy_reminder\`. ` +
          'Changed in place; removing it turns it off.',
      },
      wait_ready: {
        type: ty.string,
        mode: 'optional',
        description:
          'How long create waits for the workspace to be ready when the pool was empty and the controller builds one for ' +
          `the claim, and how long destroy waits for the driver's delete: a duration such as \`10m\` or \`1h30m\`, ` +
          `greater than zero and at most \`${formatDuration(MAX_WAIT_READY_MS)}\`. Defaults to \`${DEFAULT_WAIT_READY}\`. ` +
          'A create that runs out of time fails and leaves the workspace tainted (the next apply replaces it). ' +
          'Provider behaviour only: changing it changes nothing on the controller, and after an import the first ' +
          'apply records it in the state (an update that makes no call to the controller).',
      },
      name: { type: ty.string, mode: 'computed', description: 'The instance\'s name (its preset\'s name and the start of its id).' },
      state: {
        type: ty.string,
        mode: 'computed',
        description:
          'The workspace\'s state when Terraform last read it: `claimed` (running), `stopping`, `stopped`, `starting`, ' +
          '`pending` (being built for the claim) or `failed`.',
      },
      attributes: {
        type: ty.map(ty.string),
        mode: 'computed',
        description: 'What the driver reported for the instance (for example `url`, `path`), values as strings.',
      },
      deadline: {
        type: ty.string,
        mode: 'computed',
        description:
          'The autostop deadline of a running workspace (RFC 3339, UTC) when Terraform last read it; null when the workspace ' +
          'is not running or its template has no `autostop_after`.',
      },
    },
  },
};

/** The known event types, in Markdown. */
const EVENT_LIST = NOTIFICATION_EVENTS.map((e) => `\`${e}\``).join(', ');

export const NOTIFICATION_TARGET_SCHEMA: SchemaDef = {
  version: 0,
  block: {
    description:
      'A notification target: a webhook the controller POSTs its notifications to (workspace reminders, autostops, ' +
      'dormancy, auto-destroy results and deletes, pools stopped after repeated failures), each signed with the ' +
      'target\'s `secret` in the `X-Prewarm-Signature` header (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`). ' +
      'A failed delivery is retried with backoff for up to 24 hours. Imported by name ' +
      '(`terraform import prewarm_notification_target.NAME TARGET_NAME`). The controller never returns the secret: an ' +
      'imported target has no `secret` in the state until the next apply sets it from the configuration (the plan ' +
      'after the import shows it as an in-place change), and a secret changed outside Terraform is not detected. ' +
      '`url`, `events`, `format` and `enabled` changed outside Terraform show up as changes in the next plan.',
    attributes: {
      id: { type: ty.string, mode: 'computed', description: 'The target\'s name (the import ID).' },
      name: {
        type: ty.string,
        mode: 'required',
        requiresReplace: true,
        description: `Name of the target, ${NAME_RULE}. Changing it replaces the target.`,
      },
      url: {
        type: ty.string,
        mode: 'required',
        description:
          `Where deliveries are POSTed: an absolute \`http://\` or \`https://\` URL of at most ${MAX_URL} characters, ` +
          'without credentials (`user:password@`) or a fragment, and not at the controller\'s own API or metrics port. ' +
          'Redirects are not followed.',
      },
      secret: {
        type: ty.string,
        mode: 'required',
        sensitive: true,
        description:
          `Key of the HMAC-SHA256 signature of every delivery: at least ${MIN_SECRET_CHARS} characters and at most ` +
          `${MAX_SECRET_BYTES} bytes, without control characters. The controller keeps it sealed and never returns it, ` +
          'so after `terraform import` it is null in the state until the next apply sets it, and a change made outside ' +
          'Terraform is not detected.',
      },
      events: {
        type: ty.list(ty.string),
        mode: 'required',
        description:
          `The event types delivered to this target, each listed once: any of ${EVENT_LIST}; or \`["*"]\` alone for ` +
          'every event type, including ones added later.',
      },
      format: {
        type: ty.string,
        mode: 'optional_computed',
        description:
          `Body of a delivery: ${TARGET_FORMATS.map((f) => `\`${f}\``).join(' or ')}; default \`json\`. \`json\` is the ` +
          'event with its `id`, `key`, `event`, `occurred_at`, `subject` and `data`; `slack` is a Slack-compatible ' +
          '`{"text": …}` message for people.',
      },
      enabled: {
        type: ty.bool,
        mode: 'optional_computed',
        description:
          'Whether the target receives deliveries; default `true`. Events that happen while it is disabled are not ' +
          'queued for it.',
      },
    },
  },
};

export const RESOURCE_SCHEMAS: Readonly<Record<string, SchemaDef>> = {
  [TEMPLATE_TYPE]: TEMPLATE_SCHEMA,
  [PRESET_TYPE]: PRESET_SCHEMA,
  [WORKSPACE_TYPE]: WORKSPACE_SCHEMA,
  [NOTIFICATION_TARGET_TYPE]: NOTIFICATION_TARGET_SCHEMA,
};

export const DATA_SOURCE_SCHEMAS: Readonly<Record<string, SchemaDef>> = {
  [PRESET_TYPE]: PRESET_DATA_SCHEMA,
};
