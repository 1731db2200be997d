// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface PresetConfig extends cdktf.TerraformMetaArguments {
  /**
  * Whether this is the template's default preset. At most one preset per template may be the default.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#default Preset#default}
  */
  readonly default?: boolean | cdktf.IResolvable;
  /**
  * Free text for people: one line of at most 256 characters, without control characters.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#description Preset#description}
  */
  readonly description?: string;
  /**
  * Name of the preset, 1–63 characters of letters, digits, `.`, `_` and `-`, starting with a letter or digit; unique within its template. Changing it replaces the preset.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#name Preset#name}
  */
  readonly name: string;
  /**
  * Parameter values passed to the driver for instances of this preset. Values must not be empty. At most 128 entries. Keys: 1–128 characters of letters, digits, `_`, `-`, `.` and `/`, starting with a letter, digit or `_`. Values: at most 4096 bytes of UTF-8, without control characters other than tab and newline.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#parameters Preset#parameters}
  */
  readonly parameters?: { [key: string]: string };
  /**
  * Name of the template the preset belongs to. Changing it replaces the preset.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#template Preset#template}
  */
  readonly template: string;
  /**
  * prebuilds block
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#prebuilds Preset#prebuilds}
  */
  readonly prebuilds?: PresetPrebuilds;
}
export interface PresetPrebuildsExpirationPolicy {
  /**
  * Seconds after an instance became ready at which it expires and is replaced: `0` (never) or 60–31536000.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#ttl Preset#ttl}
  */
  readonly ttl: number;
}

export function presetPrebuildsExpirationPolicyToTerraform(struct?: PresetPrebuildsExpirationPolicyOutputReference | PresetPrebuildsExpirationPolicy): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  return {
    ttl: cdktf.numberToTerraform(struct!.ttl),
  }
}


export function presetPrebuildsExpirationPolicyToHclTerraform(struct?: PresetPrebuildsExpirationPolicyOutputReference | PresetPrebuildsExpirationPolicy): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  const attrs = {
    ttl: {
      value: cdktf.numberToHclTerraform(struct!.ttl),
      isBlock: false,
      type: "simple",
      storageClassType: "number",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class PresetPrebuildsExpirationPolicyOutputReference extends cdktf.ComplexObject {
  private isEmptyObject = false;

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  */
  public constructor(terraformResource: cdktf.IInterpolatingParent, terraformAttribute: string) {
    super(terraformResource, terraformAttribute, false, 0);
  }

  public get internalValue(): PresetPrebuildsExpirationPolicy | undefined {
    let hasAnyValues = this.isEmptyObject;
    const internalValueResult: any = {};
    if (this._ttl !== undefined) {
      hasAnyValues = true;
      internalValueResult.ttl = this._ttl;
    }
    return hasAnyValues ? internalValueResult : undefined;
  }

  public set internalValue(value: PresetPrebuildsExpirationPolicy | undefined) {
    if (value === undefined) {
      this.isEmptyObject = false;
      this._ttl = undefined;
    }
    else {
      this.isEmptyObject = Object.keys(value).length === 0;
      this._ttl = value.ttl;
    }
  }

  // ttl - computed: false, optional: false, required: true
  private _ttl?: number; 
  public get ttl() {
    return this.getNumberAttribute('ttl');
  }
  public set ttl(value: number) {
    this._ttl = value;
  }
  // Temporarily expose input value. Use with caution.
  public get ttlInput() {
    return this._ttl;
  }
}
export interface PresetPrebuildsSchedulingSchedule {
  /**
  * Five cron fields `minute hour day-of-month month day-of-week`; the minute field must be `*`. `* 8-18 * * 1-5` means every minute from 08:00:00 to 18:59:59, Monday to Friday. At most 256 characters.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#cron Preset#cron}
  */
  readonly cron: string;
  /**
  * Desired number of ready instances while the window is open (0–10000).
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#instances Preset#instances}
  */
  readonly instances: number;
}

export function presetPrebuildsSchedulingScheduleToTerraform(struct?: PresetPrebuildsSchedulingSchedule | cdktf.IResolvable): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  return {
    cron: cdktf.stringToTerraform(struct!.cron),
    instances: cdktf.numberToTerraform(struct!.instances),
  }
}


export function presetPrebuildsSchedulingScheduleToHclTerraform(struct?: PresetPrebuildsSchedulingSchedule | cdktf.IResolvable): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  const attrs = {
    cron: {
      value: cdktf.stringToHclTerraform(struct!.cron),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    instances: {
      value: cdktf.numberToHclTerraform(struct!.instances),
      isBlock: false,
      type: "simple",
      storageClassType: "number",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class PresetPrebuildsSchedulingScheduleOutputReference extends cdktf.ComplexObject {
  private isEmptyObject = false;
  private resolvableValue?: cdktf.IResolvable;

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  * @param complexObjectIndex the index of this item in the list
  * @param complexObjectIsFromSet whether the list is wrapping a set (will add tolist() to be able to access an item via an index)
  */
  public constructor(terraformResource: cdktf.IInterpolatingParent, terraformAttribute: string, complexObjectIndex: number, complexObjectIsFromSet: boolean) {
    super(terraformResource, terraformAttribute, complexObjectIsFromSet, complexObjectIndex);
  }

  public get internalValue(): PresetPrebuildsSchedulingSchedule | cdktf.IResolvable | undefined {
    if (this.resolvableValue) {
      return this.resolvableValue;
    }
    let hasAnyValues = this.isEmptyObject;
    const internalValueResult: any = {};
    if (this._cron !== undefined) {
      hasAnyValues = true;
      internalValueResult.cron = this._cron;
    }
    if (this._instances !== undefined) {
      hasAnyValues = true;
      internalValueResult.instances = this._instances;
    }
    return hasAnyValues ? internalValueResult : undefined;
  }

  public set internalValue(value: PresetPrebuildsSchedulingSchedule | cdktf.IResolvable | undefined) {
    if (value === undefined) {
      this.isEmptyObject = false;
      this.resolvableValue = undefined;
      this._cron = undefined;
      this._instances = undefined;
    }
    else if (cdktf.Tokenization.isResolvable(value)) {
      this.isEmptyObject = false;
      this.resolvableValue = value;
    }
    else {
      this.isEmptyObject = Object.keys(value).length === 0;
      this.resolvableValue = undefined;
      this._cron = value.cron;
      this._instances = value.instances;
    }
  }

  // cron - computed: false, optional: false, required: true
  private _cron?: string; 
  public get cron() {
    return this.getStringAttribute('cron');
  }
  public set cron(value: string) {
    this._cron = value;
  }
  // Temporarily expose input value. Use with caution.
  public get cronInput() {
    return this._cron;
  }

  // instances - computed: false, optional: false, required: true
  private _instances?: number; 
  public get instances() {
    return this.getNumberAttribute('instances');
  }
  public set instances(value: number) {
    this._instances = value;
  }
  // Temporarily expose input value. Use with caution.
  public get instancesInput() {
    return this._instances;
  }
}

export class PresetPrebuildsSchedulingScheduleList extends cdktf.ComplexList {
  public internalValue? : PresetPrebuildsSchedulingSchedule[] | cdktf.IResolvable

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  * @param wrapsSet whether the list is wrapping a set (will add tolist() to be able to access an item via an index)
  */
  constructor(protected override terraformResource: cdktf.IInterpolatingParent, protected override terraformAttribute: string, protected override wrapsSet: boolean) {
    super(terraformResource, terraformAttribute, wrapsSet)
  }

  /**
  * @param index the index of the item to return
  */
  public get(index: number): PresetPrebuildsSchedulingScheduleOutputReference {
    return new PresetPrebuildsSchedulingScheduleOutputReference(this.terraformResource, this.terraformAttribute, index, this.wrapsSet);
  }
}
export interface PresetPrebuildsScheduling {
  /**
  * Warm the pool this long before a window opens: a duration such as `30m` or `1h30m`, at most `24h`.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#lead_time Preset#lead_time}
  */
  readonly leadTime?: string;
  /**
  * IANA time zone the windows are evaluated in, such as `America/New_York` or `UTC`.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#timezone Preset#timezone}
  */
  readonly timezone: string;
  /**
  * schedule block
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#schedule Preset#schedule}
  */
  readonly schedule: PresetPrebuildsSchedulingSchedule[] | cdktf.IResolvable;
}

export function presetPrebuildsSchedulingToTerraform(struct?: PresetPrebuildsSchedulingOutputReference | PresetPrebuildsScheduling): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  return {
    lead_time: cdktf.stringToTerraform(struct!.leadTime),
    timezone: cdktf.stringToTerraform(struct!.timezone),
    schedule: cdktf.listMapper(presetPrebuildsSchedulingScheduleToTerraform, true)(struct!.schedule),
  }
}


export function presetPrebuildsSchedulingToHclTerraform(struct?: PresetPrebuildsSchedulingOutputReference | PresetPrebuildsScheduling): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  const attrs = {
    lead_time: {
      value: cdktf.stringToHclTerraform(struct!.leadTime),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    timezone: {
      value: cdktf.stringToHclTerraform(struct!.timezone),
      isBlock: false,
      type: "simple",
      storageClassType: "string",
    },
    schedule: {
      value: cdktf.listMapperHcl(presetPrebuildsSchedulingScheduleToHclTerraform, true)(struct!.schedule),
      isBlock: true,
      type: "list",
      storageClassType: "PresetPrebuildsSchedulingScheduleList",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class PresetPrebuildsSchedulingOutputReference extends cdktf.ComplexObject {
  private isEmptyObject = false;

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  */
  public constructor(terraformResource: cdktf.IInterpolatingParent, terraformAttribute: string) {
    super(terraformResource, terraformAttribute, false, 0);
  }

  public get internalValue(): PresetPrebuildsScheduling | undefined {
    let hasAnyValues = this.isEmptyObject;
    const internalValueResult: any = {};
    if (this._leadTime !== undefined) {
      hasAnyValues = true;
      internalValueResult.leadTime = this._leadTime;
    }
    if (this._timezone !== undefined) {
      hasAnyValues = true;
      internalValueResult.timezone = this._timezone;
    }
    if (this._schedule?.internalValue !== undefined) {
      hasAnyValues = true;
      internalValueResult.schedule = this._schedule?.internalValue;
    }
    return hasAnyValues ? internalValueResult : undefined;
  }

  public set internalValue(value: PresetPrebuildsScheduling | undefined) {
    if (value === undefined) {
      this.isEmptyObject = false;
      this._leadTime = undefined;
      this._timezone = undefined;
      this._schedule.internalValue = undefined;
    }
    else {
      this.isEmptyObject = Object.keys(value).length === 0;
      this._leadTime = value.leadTime;
      this._timezone = value.timezone;
      this._schedule.internalValue = value.schedule;
    }
  }

  // lead_time - computed: false, optional: true, required: false
  private _leadTime?: string; 
  public get leadTime() {
    return this.getStringAttribute('lead_time');
  }
  public set leadTime(value: string) {
    this._leadTime = value;
  }
  public resetLeadTime() {
    this._leadTime = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get leadTimeInput() {
    return this._leadTime;
  }

  // timezone - computed: false, optional: false, required: true
  private _timezone?: string; 
  public get timezone() {
    return this.getStringAttribute('timezone');
  }
  public set timezone(value: string) {
    this._timezone = value;
  }
  // Temporarily expose input value. Use with caution.
  public get timezoneInput() {
    return this._timezone;
  }

  // schedule - computed: false, optional: false, required: true
  private _schedule = new PresetPrebuildsSchedulingScheduleList(this, "schedule", false);
  public get schedule() {
    return this._schedule;
  }
  public putSchedule(value: PresetPrebuildsSchedulingSchedule[] | cdktf.IResolvable) {
    this._schedule.internalValue = value;
  }
  // Temporarily expose input value. Use with caution.
  public get scheduleInput() {
    return this._schedule.internalValue;
  }
}
export interface PresetPrebuilds {
  /**
  * Base desired number of ready instances (0–10000), used while no `schedule` window is open.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#instances Preset#instances}
  */
  readonly instances: number;
  /**
  * expiration_policy block
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#expiration_policy Preset#expiration_policy}
  */
  readonly expirationPolicy?: PresetPrebuildsExpirationPolicy;
  /**
  * scheduling block
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#scheduling Preset#scheduling}
  */
  readonly scheduling?: PresetPrebuildsScheduling;
}

export function presetPrebuildsToTerraform(struct?: PresetPrebuildsOutputReference | PresetPrebuilds): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  return {
    instances: cdktf.numberToTerraform(struct!.instances),
    expiration_policy: presetPrebuildsExpirationPolicyToTerraform(struct!.expirationPolicy),
    scheduling: presetPrebuildsSchedulingToTerraform(struct!.scheduling),
  }
}


export function presetPrebuildsToHclTerraform(struct?: PresetPrebuildsOutputReference | PresetPrebuilds): any {
  if (!cdktf.canInspect(struct) || cdktf.Tokenization.isResolvable(struct)) { return struct; }
  if (cdktf.isComplexElement(struct)) {
    throw new Error("A complex element was used as configuration, this is not supported: https://cdk.tf/complex-object-as-configuration");
  }
  const attrs = {
    instances: {
      value: cdktf.numberToHclTerraform(struct!.instances),
      isBlock: false,
      type: "simple",
      storageClassType: "number",
    },
    expiration_policy: {
      value: presetPrebuildsExpirationPolicyToHclTerraform(struct!.expirationPolicy),
      isBlock: true,
      type: "list",
      storageClassType: "PresetPrebuildsExpirationPolicyList",
    },
    scheduling: {
      value: presetPrebuildsSchedulingToHclTerraform(struct!.scheduling),
      isBlock: true,
      type: "list",
      storageClassType: "PresetPrebuildsSchedulingList",
    },
  };

  // remove undefined attributes
  return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined));
}

export class PresetPrebuildsOutputReference extends cdktf.ComplexObject {
  private isEmptyObject = false;

  /**
  * @param terraformResource The parent resource
  * @param terraformAttribute The attribute on the parent resource this class is referencing
  */
  public constructor(terraformResource: cdktf.IInterpolatingParent, terraformAttribute: string) {
    super(terraformResource, terraformAttribute, false, 0);
  }

  public get internalValue(): PresetPrebuilds | undefined {
    let hasAnyValues = this.isEmptyObject;
    const internalValueResult: any = {};
    if (this._instances !== undefined) {
      hasAnyValues = true;
      internalValueResult.instances = this._instances;
    }
    if (this._expirationPolicy?.internalValue !== undefined) {
      hasAnyValues = true;
      internalValueResult.expirationPolicy = this._expirationPolicy?.internalValue;
    }
    if (this._scheduling?.internalValue !== undefined) {
      hasAnyValues = true;
      internalValueResult.scheduling = this._scheduling?.internalValue;
    }
    return hasAnyValues ? internalValueResult : undefined;
  }

  public set internalValue(value: PresetPrebuilds | undefined) {
    if (value === undefined) {
      this.isEmptyObject = false;
      this._instances = undefined;
      this._expirationPolicy.internalValue = undefined;
      this._scheduling.internalValue = undefined;
    }
    else {
      this.isEmptyObject = Object.keys(value).length === 0;
      this._instances = value.instances;
      this._expirationPolicy.internalValue = value.expirationPolicy;
      this._scheduling.internalValue = value.scheduling;
    }
  }

  // instances - computed: false, optional: false, required: true
  private _instances?: number; 
  public get instances() {
    return this.getNumberAttribute('instances');
  }
  public set instances(value: number) {
    this._instances = value;
  }
  // Temporarily expose input value. Use with caution.
  public get instancesInput() {
    return this._instances;
  }

  // expiration_policy - computed: false, optional: true, required: false
  private _expirationPolicy = new PresetPrebuildsExpirationPolicyOutputReference(this, "expiration_policy");
  public get expirationPolicy() {
    return this._expirationPolicy;
  }
  public putExpirationPolicy(value: PresetPrebuildsExpirationPolicy) {
    this._expirationPolicy.internalValue = value;
  }
  public resetExpirationPolicy() {
    this._expirationPolicy.internalValue = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get expirationPolicyInput() {
    return this._expirationPolicy.internalValue;
  }

  // scheduling - computed: false, optional: true, required: false
  private _scheduling = new PresetPrebuildsSchedulingOutputReference(this, "scheduling");
  public get scheduling() {
    return this._scheduling;
  }
  public putScheduling(value: PresetPrebuildsScheduling) {
    this._scheduling.internalValue = value;
  }
  public resetScheduling() {
    this._scheduling.internalValue = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get schedulingInput() {
    return this._scheduling.internalValue;
  }
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset prewarm_preset}
*/
export class Preset extends cdktf.TerraformResource {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm_preset";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a Preset resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the Preset to import
  * @param importFromId The id of the existing Preset that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the Preset to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm_preset", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs/resources/preset prewarm_preset} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options PresetConfig
  */
  public constructor(scope: Construct, id: string, config: PresetConfig) {
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
    this._default = config.default;
    this._description = config.description;
    this._name = config.name;
    this._parameters = config.parameters;
    this._template = config.template;
    this._prebuilds.internalValue = config.prebuilds;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // default - computed: false, optional: true, required: false
  private _default?: boolean | cdktf.IResolvable; 
  public get default() {
    return this.getBooleanAttribute('default');
  }
  public set default(value: boolean | cdktf.IResolvable) {
    this._default = value;
  }
  public resetDefault() {
    this._default = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get defaultInput() {
    return this._default;
  }

  // description - computed: false, optional: true, required: false
  private _description?: string; 
  public get description() {
    return this.getStringAttribute('description');
  }
  public set description(value: string) {
    this._description = value;
  }
  public resetDescription() {
    this._description = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get descriptionInput() {
    return this._description;
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

  // parameters - computed: false, optional: true, required: false
  private _parameters?: { [key: string]: string }; 
  public get parameters() {
    return this.getStringMapAttribute('parameters');
  }
  public set parameters(value: { [key: string]: string }) {
    this._parameters = value;
  }
  public resetParameters() {
    this._parameters = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get parametersInput() {
    return this._parameters;
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

  // prebuilds - computed: false, optional: true, required: false
  private _prebuilds = new PresetPrebuildsOutputReference(this, "prebuilds");
  public get prebuilds() {
    return this._prebuilds;
  }
  public putPrebuilds(value: PresetPrebuilds) {
    this._prebuilds.internalValue = value;
  }
  public resetPrebuilds() {
    this._prebuilds.internalValue = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get prebuildsInput() {
    return this._prebuilds.internalValue;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      default: cdktf.booleanToTerraform(this._default),
      description: cdktf.stringToTerraform(this._description),
      name: cdktf.stringToTerraform(this._name),
      parameters: cdktf.hashMapper(cdktf.stringToTerraform)(this._parameters),
      template: cdktf.stringToTerraform(this._template),
      prebuilds: presetPrebuildsToTerraform(this._prebuilds.internalValue),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      default: {
        value: cdktf.booleanToHclTerraform(this._default),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      description: {
        value: cdktf.stringToHclTerraform(this._description),
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
      parameters: {
        value: cdktf.hashMapperHcl(cdktf.stringToHclTerraform)(this._parameters),
        isBlock: false,
        type: "map",
        storageClassType: "stringMap",
      },
      template: {
        value: cdktf.stringToHclTerraform(this._template),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      prebuilds: {
        value: presetPrebuildsToHclTerraform(this._prebuilds.internalValue),
        isBlock: true,
        type: "list",
        storageClassType: "PresetPrebuildsList",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
