// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface NotificationTargetConfig extends cdktf.TerraformMetaArguments {
  /**
  * Whether the target receives deliveries; default `true`. Events that happen while it is disabled are not queued for it.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#enabled NotificationTarget#enabled}
  */
  readonly enabled?: boolean | cdktf.IResolvable;
  /**
  * The event types delivered to this target, each listed once: any of `preset_hard_limited`, `workspace_autostop_reminder`, `workspace_autostopped`, `workspace_dormant`, `workspace_auto_destroy_reminder`, `workspace_auto_destroy_result`, `workspace_deleted`; or `["*"]` alone for every event type, including ones added later.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#events NotificationTarget#events}
  */
  readonly events: string[];
  /**
  * Body of a delivery: `json` or `slack`; default `json`. `json` is the event with its `id`, `key`, `event`, `occurred_at`, `subject` and `data`; `slack` is a Slack-compatible `{"text": …}` message for people.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#format NotificationTarget#format}
  */
  readonly format?: string;
  /**
  * Name of the target, 1–63 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit. Changing it replaces the target.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#name NotificationTarget#name}
  */
  readonly name: string;
  /**
  * Key of the HMAC-SHA256 signature of every delivery: at least 16 characters and at most 1024 bytes, without control characters. The controller keeps it sealed and never returns it, so after `terraform import` it is null in the state until the next apply sets it, and a change made outside Terraform is not detected.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#secret NotificationTarget#secret}
  */
  readonly secret: string;
  /**
  * Where deliveries are POSTed: an absolute `http://` or `https://` URL of at most 2048 characters, without credentials (`user:password@`) or a fragment, and not at the controller's own API or metrics port. Redirects are not followed.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#url NotificationTarget#url}
  */
  readonly url: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target prewarm_notification_target}
*/
export class NotificationTarget extends cdktf.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm_notification_target";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a NotificationTarget resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the NotificationTarget to import
  * @param importFromId The id of the existing NotificationTarget that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the NotificationTarget to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm_notification_target", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/notification_target prewarm_notification_target} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options NotificationTargetConfig
  */
  public constructor(scope: Construct, id: string, config: NotificationTargetConfig) {
    super(scope, id, {
      terraformResourceType: 'prewarm_notification_target',
      terraformGeneratorMetadata: {
        providerName: 'prewarm'
      },
      provider: config.provider,
      dependsOn: config.dependsOn,
      count: config.count,
      lifecycle: config.lifecycle,
      provisioners: config.provisioners,
      connection: config.connection,
      forEach: config.forEach
    });
    this._enabled = config.enabled;
    this._events = config.events;
    this._format = config.format;
    this._name = config.name;
    this._secret = config.secret;
    this._url = config.url;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // enabled - computed: true, optional: true, required: false
  private _enabled?: boolean | cdktf.IResolvable; 
  public get enabled() {
    return this.getBooleanAttribute('enabled');
  }
  public set enabled(value: boolean | cdktf.IResolvable) {
    this._enabled = value;
  }
  public resetEnabled() {
    this._enabled = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get enabledInput() {
    return this._enabled;
  }

  // events - computed: false, optional: false, required: true
  private _events?: string[]; 
  public get events() {
    return this.getListAttribute('events');
  }
  public set events(value: string[]) {
    this._events = value;
  }
  // Temporarily expose input value. Use with caution.
  public get eventsInput() {
    return this._events;
  }

  // format - computed: true, optional: true, required: false
  private _format?: string; 
  public get format() {
    return this.getStringAttribute('format');
  }
  public set format(value: string) {
    this._format = value;
  }
  public resetFormat() {
    this._format = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get formatInput() {
    return this._format;
  }

  // id - computed: true, optional: false, required: false
  public get id() {
    return this.getStringAttribute('id');
  }

  // name - computed: false, optional: false, required: true
  private _name?: string; 
  public get name() {
    return this.getStringAttribute('name');
  }
  public set name(value: string) {
    this._name = value;
  }
  // Temporarily expose input value. Use with caution.
  public get nameInput() {
    return this._name;
  }

  // secret - computed: false, optional: false, required: true
  private _secret?: string; 
  public get secret() {
    return this.getStringAttribute('secret');
  }
  public set secret(value: string) {
    this._secret = value;
  }
  // Temporarily expose input value. Use with caution.
  public get secretInput() {
    return this._secret;
  }

  // url - computed: false, optional: false, required: true
  private _url?: string; 
  public get url() {
    return this.getStringAttribute('url');
  }
  public set url(value: string) {
    this._url = value;
  }
  // Temporarily expose input value. Use with caution.
  public get urlInput() {
    return this._url;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      enabled: cdktf.booleanToTerraform(this._enabled),
      events: cdktf.listMapper(cdktf.stringToTerraform, false)(this._events),
      format: cdktf.stringToTerraform(this._format),
      name: cdktf.stringToTerraform(this._name),
      secret: cdktf.stringToTerraform(this._secret),
      url: cdktf.stringToTerraform(this._url),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      enabled: {
        value: cdktf.booleanToHclTerraform(this._enabled),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      events: {
        value: cdktf.listMapperHcl(cdktf.stringToHclTerraform, false)(this._events),
        isBlock: false,
        type: "list",
        storageClassType: "stringList",
      },
      format: {
        value: cdktf.stringToHclTerraform(this._format),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      name: {
        value: cdktf.stringToHclTerraform(this._name),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      secret: {
        value: cdktf.stringToHclTerraform(this._secret),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      url: {
        value: cdktf.stringToHclTerraform(this._url),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
