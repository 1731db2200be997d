// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface DataPrewarmPresetConfig extends cdktf.TerraformMetaArguments {
  /**
  * Name of the preset.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset#name DataPrewarmPreset#name}
  */
  readonly name: string;
  /**
  * Name of the template.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset#template DataPrewarmPreset#template}
  */
  readonly template: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset prewarm_preset}
*/
export class DataPrewarmPreset extends cdktf.TerraformDataSource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm_preset";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a DataPrewarmPreset resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the DataPrewarmPreset to import
  * @param importFromId The id of the existing DataPrewarmPreset that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the DataPrewarmPreset to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm_preset", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/data-sources/preset prewarm_preset} Data Source
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options DataPrewarmPresetConfig
  */
  public constructor(scope: Construct, id: string, config: DataPrewarmPresetConfig) {
    super(scope, id, {
      terraformResourceType: 'prewarm_preset',
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
    this._name = config.name;
    this._template = config.template;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // backoff_until - computed: true, optional: false, required: false
  public get backoffUntil() {
    return this.getStringAttribute('backoff_until');
  }

  // desired - computed: true, optional: false, required: false
  public get desired() {
    return this.getNumberAttribute('desired');
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

  // ready - computed: true, optional: false, required: false
  public get ready() {
    return this.getNumberAttribute('ready');
  }

  // starting - computed: true, optional: false, required: false
  public get starting() {
    return this.getNumberAttribute('starting');
  }

  // status - computed: true, optional: false, required: false
  public get status() {
    return this.getStringAttribute('status');
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

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      name: cdktf.stringToTerraform(this._name),
      template: cdktf.stringToTerraform(this._template),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      name: {
        value: cdktf.stringToHclTerraform(this._name),
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
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
