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
import {
  MAX_CRON,
  MAX_DESCRIPTION,
  MAX_INSTANCES,
  MAX_LEAD_TIME_MS,
  MAX_MAP_ENTRIES,
  MAX_MAP_KEY,
  MAX_MAP_VALUE_BYTES,
  MAX_NAME,
  TTL_MAX_SECONDS,
  TTL_MIN_SECONDS,
} from '../controller/domain/limits';

/** How Terraform treats an attribute: exactly one of these (optional+computed is not used by this provider). */
export type AttributeMode = 'required' | 'optional' | 'computed';

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
      'The prewarm provider manages templates and presets (pools of prebuilt instances) through the API of a ' +
      '`prewarm controller`. It never opens the controller\'s database.',
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
          'The driver that builds instances: the name of a program in the controller\'s `--driver-dir` ' +
          '(no path separators).',
      },
      config: {
        type: ty.map(ty.string),
        mode: 'optional',
        description:
          'Driver settings, passed to the driver with every operation (for example `{ image = "node:20" }`). ' + MAP_RULE,
      },
      version: {
        type: ty.number,
        mode: 'computed',
        description: 'The template version the controller assigned; it increases with every change of `driver` or `config`.',
      },
    },
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

export const RESOURCE_SCHEMAS: Readonly<Record<string, SchemaDef>> = {
  [TEMPLATE_TYPE]: TEMPLATE_SCHEMA,
  [PRESET_TYPE]: PRESET_SCHEMA,
};

export const DATA_SOURCE_SCHEMAS: Readonly<Record<string, SchemaDef>> = {
  [PRESET_TYPE]: PRESET_DATA_SCHEMA,
};
