// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface TemplateConfig extends cdktf.TerraformMetaArguments {
  /**
  * Driver settings, passed to the driver with every operation (for example `{ image = "node:20" }`; `{ module = "workspace" }` for terraform; `{ url = "https://…", secret_ref = "name" }` for http). At most 128 entries. Keys: 1–128 characters of letters, digits, `_`, `-`, `.` and `/`, starting with a letter, digit or `_`. Values: at most 4096 bytes of UTF-8, without control characters other than tab and newline.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#config Template#config}
  */
  readonly config?: { [key: string]: string };
  /**
  * The driver that builds instances: `"terraform"` (each instance a Terraform module from the controller's `--modules-dir`), `"http"` (a platform's API), or the name of a program in the controller's `--driver-dir` (no path separators).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#driver Template#driver}
  */
  readonly driver: string;
  /**
  * Name of the template, 1–63 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit. Changing it replaces the template.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#name Template#name}
  */
  readonly name: string;
  /**
  * lifecycle_policy block
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#lifecycle_policy Template#lifecycle_policy}
  */
  readonly lifecyclePolicy?: TemplateLifecyclePolicy;
}
export interface TemplateLifecyclePolicy {
  /**
  * One notification this long before a workspace's scheduled (`auto_destroy_at`) or inactivity (`auto_destroy_inactivity`) destroy. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#auto_destroy_reminder Template#auto_destroy_reminder}
  */
  readonly autoDestroyReminder?: string;
  /**
  * A running workspace is stopped this long after it was claimed or started; reported activity moves the deadline to now plus this when that is later. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#autostop_after Template#autostop_after}
  */
  readonly autostopAfter?: string;
  /**
  * One notification this long before the autostop deadline (once per deadline). Must be shorter than `autostop_after`. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#autostop_reminder Template#autostop_reminder}
  */
  readonly autostopReminder?: string;
  /**
  * A workspace without activity for this long is stopped and marked dormant. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#dormant_after Template#dormant_after}
  */
  readonly dormantAfter?: string;
  /**
  * A dormant workspace is deleted this long after it became dormant. Needs `dormant_after`. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#dormant_delete_after Template#dormant_delete_after}
  */
  readonly dormantDeleteAfter?: string;
  /**
  * A stopped workspace is deleted this long after it stopped. A duration of whole numbers with units `s`, `m`, `h` or `d` (`"90s"`, `"30m"`, `"8h"`, `"7d"`, `"1d12h"`), greater than zero and at most `365d`; absent turns the rule off.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#stopped_ttl Template#stopped_ttl}
  */
  readonly stoppedTtl?: string;
}

export function templateLifecyclePolicyToTerraform(struct?: TemplateLifecyclePolicyOutputReference | TemplateLifecyclePolicy): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  return {
    auto_destroy_reminder: cdktf.stringToTerraform(struct!.autoDestroyReminder),
    autostop_after: cdktf.stringToTerraform(struct!.autostopAfter),
    autostop_reminder: cdktf.stringToTerraform(struct!.autostopReminder),
    dormant_after: cdktf.stringToTerraform(struct!.dormantAfter),
    dormant_delete_after: cdktf.stringToTerraform(struct!.dormantDeleteAfter),
    stopped_ttl: cdktf.stringToTerraform(struct!.stoppedTtl),
  }
}


export function templateLifecyclePolicyToHclTerraform(struct?: TemplateLifecyclePolicyOutputReference | TemplateLifecyclePolicy): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  const attrs = {
    auto_destroy_reminder: {
      value: cdktf.stringToHclTerraform(struct!.autoDestroyReminder),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    autostop_after: {
      value: cdktf.stringToHclTerraform(struct!.autostopAfter),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    autostop_reminder: {
      value: cdktf.stringToHclTerraform(struct!.autostopReminder),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    dormant_after: {
      value: cdktf.stringToHclTerraform(struct!.dormantAfter),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    dormant_delete_after: {
      value: cdktf.stringToHclTerraform(struct!.dormantDeleteAfter),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    stopped_ttl: {
      value: cdktf.stringToHclTerraform(struct!.stoppedTtl),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class TemplateLifecyclePolicyOutputReference extends cdktf.ComplexObject {
  private isEmptyObject = false;

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  */
  public constructor(terraformResource: cdktf.IInterpolatingParent, terraformAttribute: string) {
    super(terraformResource, terraformAttribute, false, 0);
  }

  public get internalValue(): TemplateLifecyclePolicy | undefined {
    let hasAnyValues = this.isEmptyObject;
    const internalValueResult: any = {};
    if (this._autoDestroyReminder !== undefined) {
      hasAnyValues = true;
      internalValueResult.autoDestroyReminder = this._autoDestroyReminder;
    }
    if (this._autostopAfter !== undefined) {
      hasAnyValues = true;
      internalValueResult.autostopAfter = this._autostopAfter;
    }
    if (this._autostopReminder !== undefined) {
      hasAnyValues = true;
      internalValueResult.autostopReminder = this._autostopReminder;
    }
    if (this._dormantAfter !== undefined) {
      hasAnyValues = true;
      internalValueResult.dormantAfter = this._dormantAfter;
    }
    if (this._dormantDeleteAfter !== undefined) {
      hasAnyValues = true;
      internalValueResult.dormantDeleteAfter = this._dormantDeleteAfter;
    }
    if (this._stoppedTtl !== undefined) {
      hasAnyValues = true;
      internalValueResult.stoppedTtl = this._stoppedTtl;
    }
    return hasAnyValues ? internalValueResult : undefined;
  }

  public set internalValue(value: TemplateLifecyclePolicy | undefined) {
    if (value === undefined) {
      this.isEmptyObject = false;
      this._autoDestroyReminder = undefined;
      this._autostopAfter = undefined;
      this._autostopReminder = undefined;
      this._dormantAfter = undefined;
      this._dormantDeleteAfter = undefined;
      this._stoppedTtl = undefined;
    }
    else {
      this.isEmptyObject = Object.keys(value).length === 0;
      this._autoDestroyReminder = value.autoDestroyReminder;
      this._autostopAfter = value.autostopAfter;
      this._autostopReminder = value.autostopReminder;
      this._dormantAfter = value.dormantAfter;
      this._dormantDeleteAfter = value.dormantDeleteAfter;
      this._stoppedTtl = value.stoppedTtl;
    }
  }

  // auto_destroy_reminder - computed: false, optional: true, required: false
  private _autoDestroyReminder?: string; 
  public get autoDestroyReminder() {
    return this.getStringAttribute('auto_destroy_reminder');
  }
  public set autoDestroyReminder(value: string) {
    this._autoDestroyReminder = value;
  }
  public resetAutoDestroyReminder() {
    this._autoDestroyReminder = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get autoDestroyReminderInput() {
    return this._autoDestroyReminder;
  }

  // autostop_after - computed: false, optional: true, required: false
  private _autostopAfter?: string; 
  public get autostopAfter() {
    return this.getStringAttribute('autostop_after');
  }
  public set autostopAfter(value: string) {
    this._autostopAfter = value;
  }
  public resetAutostopAfter() {
    this._autostopAfter = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get autostopAfterInput() {
    return this._autostopAfter;
  }

  // autostop_reminder - computed: false, optional: true, required: false
  private _autostopReminder?: string; 
  public get autostopReminder() {
    return this.getStringAttribute('autostop_reminder');
  }
  public set autostopReminder(value: string) {
    this._autostopReminder = value;
  }
  public resetAutostopReminder() {
    this._autostopReminder = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get autostopReminderInput() {
    return this._autostopReminder;
  }

  // dormant_after - computed: false, optional: true, required: false
  private _dormantAfter?: string; 
  public get dormantAfter() {
    return this.getStringAttribute('dormant_after');
  }
  public set dormantAfter(value: string) {
    this._dormantAfter = value;
  }
  public resetDormantAfter() {
    this._dormantAfter = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get dormantAfterInput() {
    return this._dormantAfter;
  }

  // dormant_delete_after - computed: false, optional: true, required: false
  private _dormantDeleteAfter?: string; 
  public get dormantDeleteAfter() {
    return this.getStringAttribute('dormant_delete_after');
  }
  public set dormantDeleteAfter(value: string) {
    this._dormantDeleteAfter = value;
  }
  public resetDormantDeleteAfter() {
    this._dormantDeleteAfter = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get dormantDeleteAfterInput() {
    return this._dormantDeleteAfter;
  }

  // stopped_ttl - computed: false, optional: true, required: false
  private _stoppedTtl?: string; 
  public get stoppedTtl() {
    return this.getStringAttribute('stopped_ttl');
  }
  public set stoppedTtl(value: string) {
    this._stoppedTtl = value;
  }
  public resetStoppedTtl() {
    this._stoppedTtl = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get stoppedTtlInput() {
    return this._stoppedTtl;
  }
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template prewarm_template}
*/
export class Template extends cdktf.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm_template";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a Template resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Template to import
  * @param importFromId The id of the existing Template that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Template to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm_template", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/template prewarm_template} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options TemplateConfig
  */
  public constructor(scope: Construct, id: string, config: TemplateConfig) {
    super(scope, id, {
      terraformResourceType: 'prewarm_template',
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
    this._config = config.config;
    this._driver = config.driver;
    this._name = config.name;
    this._lifecyclePolicy.internalValue = config.lifecyclePolicy;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // config - computed: false, optional: true, required: false
  private _config?: { [key: string]: string }; 
  public get config() {
    return this.getStringMapAttribute('config');
  }
  public set config(value: { [key: string]: string }) {
    this._config = value;
  }
  public resetConfig() {
    this._config = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get configInput() {
    return this._config;
  }

  // driver - computed: false, optional: false, required: true
  private _driver?: string; 
  public get driver() {
    return this.getStringAttribute('driver');
  }
  public set driver(value: string) {
    this._driver = value;
  }
  // Temporarily expose input value. Use with caution.
  public get driverInput() {
    return this._driver;
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

  // version - computed: true, optional: false, required: false
  public get version() {
    return this.getNumberAttribute('version');
  }

  // lifecycle_policy - computed: false, optional: true, required: false
  private _lifecyclePolicy = new TemplateLifecyclePolicyOutputReference(this, "lifecycle_policy");
  public get lifecyclePolicy() {
    return this._lifecyclePolicy;
  }
  public putLifecyclePolicy(value: TemplateLifecyclePolicy) {
    this._lifecyclePolicy.internalValue = value;
  }
  public resetLifecyclePolicy() {
    this._lifecyclePolicy.internalValue = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get lifecyclePolicyInput() {
    return this._lifecyclePolicy.internalValue;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      config: cdktf.hashMapper(cdktf.stringToTerraform)(this._config),
      driver: cdktf.stringToTerraform(this._driver),
      name: cdktf.stringToTerraform(this._name),
      lifecycle_policy: templateLifecyclePolicyToTerraform(this._lifecyclePolicy.internalValue),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      config: {
        value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._config),
        isBlock: false,
        type: "map",
        storageClassType: "stringMap",
      },
      driver: {
        value: cdktf.stringToHclTerraform(this._driver),
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
      lifecycle_policy: {
        value: templateLifecyclePolicyToHclTerraform(this._lifecyclePolicy.internalValue),
        isBlock: true,
        type: "list",
        storageClassType: "TemplateLifecyclePolicyList",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
