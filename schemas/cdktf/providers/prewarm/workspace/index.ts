// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface WorkspaceConfig extends cdktf.TerraformMetaArguments {
  /**
  * Destroy the workspace at this instant: RFC 3339 with a time zone, such as `2026-12-24T18:00:00Z` or `2026-12-24T13:00:00-05:00`. It must be in the future when it is applied. Changed in place; removing it cancels the scheduled destroy. Once the destroy has run the workspace is gone (archived), so the next plan claims a new one: no `ignore_changes` is needed for the controller clearing the setting.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#auto_destroy_at Workspace#auto_destroy_at}
  */
  readonly autoDestroyAt?: string;
  /**
  * Destroy the workspace after this long without reported activity (`prewarm workspace activity`); every activity report re-arms it. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; longer than the template's `auto_destroy_reminder`. Changed in place; removing it turns it off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#auto_destroy_inactivity Workspace#auto_destroy_inactivity}
  */
  readonly autoDestroyInactivity?: string;
  /**
  * Who the workspace is for (a person, a team, a CI job): at most 128 characters, without control characters, not blank. Changing it replaces the workspace.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#owner Workspace#owner}
  */
  readonly owner: string;
  /**
  * Name of the preset (in `template`) whose pool the workspace is claimed from. Changing it replaces the workspace.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#preset Workspace#preset}
  */
  readonly preset: string;
  /**
  * Name of the template to claim from. Changing it claims a new workspace (replaces this one).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#template Workspace#template}
  */
  readonly template: string;
  /**
  * How long create waits for the workspace to be ready when the pool was empty and the controller builds one for the claim, and how long destroy waits for the driver's delete: a duration such as `10m` or `1h30m`, greater than zero and at most `24h`. Defaults to `30m`. A create that runs out of time fails and leaves the workspace tainted (the next apply replaces it). Provider behaviour only: changing it changes nothing on the controller, and after an import the first apply records it in the state (an update that makes no call to the controller).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#wait_ready Workspace#wait_ready}
  */
  readonly waitReady?: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace prewarm_workspace}
*/
export class Workspace extends cdktf.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm_workspace";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a Workspace resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Workspace to import
  * @param importFromId The id of the existing Workspace that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Workspace to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm_workspace", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/workspace prewarm_workspace} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options WorkspaceConfig
  */
  public constructor(scope: Construct, id: string, config: WorkspaceConfig) {
    super(scope, id, {
      terraformResourceType: 'prewarm_workspace',
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
    this._autoDestroyAt = config.autoDestroyAt;
    this._autoDestroyInactivity = config.autoDestroyInactivity;
    this._owner = config.owner;
    this._preset = config.preset;
    this._template = config.template;
    this._waitReady = config.waitReady;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // attributes - computed: true, optional: false, required: false
  private _attributes = new cdktf.StringMap(this, "attributes");
  public get attributes() {
    return this._attributes;
  }

  // auto_destroy_at - computed: false, optional: true, required: false
  private _autoDestroyAt?: string; 
  public get autoDestroyAt() {
    return this.getStringAttribute('auto_destroy_at');
  }
  public set autoDestroyAt(value: string) {
    this._autoDestroyAt = value;
  }
  public resetAutoDestroyAt() {
    this._autoDestroyAt = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get autoDestroyAtInput() {
    return this._autoDestroyAt;
  }

  // auto_destroy_inactivity - computed: false, optional: true, required: false
  private _autoDestroyInactivity?: string; 
  public get autoDestroyInactivity() {
    return this.getStringAttribute('auto_destroy_inactivity');
  }
  public set autoDestroyInactivity(value: string) {
    this._autoDestroyInactivity = value;
  }
  public resetAutoDestroyInactivity() {
    this._autoDestroyInactivity = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get autoDestroyInactivityInput() {
    return this._autoDestroyInactivity;
  }

  // deadline - computed: true, optional: false, required: false
  public get deadline() {
    return this.getStringAttribute('deadline');
  }

  // id - computed: true, optional: false, required: false
  public get id() {
    return this.getStringAttribute('id');
  }

  // name - computed: true, optional: false, required: false
  public get name() {
    return this.getStringAttribute('name');
  }

  // owner - computed: false, optional: false, required: true
  private _owner?: string; 
  public get owner() {
    return this.getStringAttribute('owner');
  }
  public set owner(value: string) {
    this._owner = value;
  }
  // Temporarily expose input value. Use with caution.
  public get ownerInput() {
    return this._owner;
  }

  // preset - computed: false, optional: false, required: true
  private _preset?: string; 
  public get preset() {
    return this.getStringAttribute('preset');
  }
  public set preset(value: string) {
    this._preset = value;
  }
  // Temporarily expose input value. Use with caution.
  public get presetInput() {
    return this._preset;
  }

  // state - computed: true, optional: false, required: false
  public get state() {
    return this.getStringAttribute('state');
  }

  // template - computed: false, optional: false, required: true
  private _template?: string; 
  public get template() {
    return this.getStringAttribute('template');
  }
  public set template(value: string) {
    this._template = value;
  }
  // Temporarily expose input value. Use with caution.
  public get templateInput() {
    return this._template;
  }

  // wait_ready - computed: false, optional: true, required: false
  private _waitReady?: string; 
  public get waitReady() {
    return this.getStringAttribute('wait_ready');
  }
  public set waitReady(value: string) {
    this._waitReady = value;
  }
  public resetWaitReady() {
    this._waitReady = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get waitReadyInput() {
    return this._waitReady;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      auto_destroy_at: cdktf.stringToTerraform(this._autoDestroyAt),
      auto_destroy_inactivity: cdktf.stringToTerraform(this._autoDestroyInactivity),
      owner: cdktf.stringToTerraform(this._owner),
      preset: cdktf.stringToTerraform(this._preset),
      template: cdktf.stringToTerraform(this._template),
      wait_ready: cdktf.stringToTerraform(this._waitReady),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      auto_destroy_at: {
        value: cdktf.stringToHclTerraform(this._autoDestroyAt),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      auto_destroy_inactivity: {
        value: cdktf.stringToHclTerraform(this._autoDestroyInactivity),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      owner: {
        value: cdktf.stringToHclTerraform(this._owner),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      preset: {
        value: cdktf.stringToHclTerraform(this._preset),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      template: {
        value: cdktf.stringToHclTerraform(this._template),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      wait_ready: {
        value: cdktf.stringToHclTerraform(this._waitReady),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
