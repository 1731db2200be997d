// https://registry.terraform.io/providers/prewarm/prewarm/latest/docs
// generated from terraform resource schema

import { Construct } from 'constructs';
import * as cdktf from 'cdktf';

// Configuration

export interface PrewarmProviderConfig {
  /**
  * CA certificate that signed the controller's TLS certificate: PEM text or the path of a PEM file. Implies TLS. Defaults to the `PREWARM_CA_CERT` environment variable.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#ca_cert PrewarmProvider#ca_cert}
  */
  readonly caCert?: string;
  /**
  * Client certificate for a controller started with `--tls-client-ca` (mutual TLS): PEM text or the path of a PEM file, signed by that CA. Needs `client_key`; implies TLS. Defaults to the `PREWARM_CLIENT_CERT` environment variable.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#client_cert PrewarmProvider#client_cert}
  */
  readonly clientCert?: string;
  /**
  * Private key of `client_cert` (unencrypted PEM): PEM text or the path of a PEM file. Needs `client_cert`. Defaults to the `PREWARM_CLIENT_KEY` environment variable.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#client_key PrewarmProvider#client_key}
  */
  readonly clientKey?: string;
  /**
  * Address of the controller's gRPC API: `HOST:PORT` (plaintext, meant for loopback) or `https://HOST:PORT` (TLS). Defaults to the `PREWARM_ENDPOINT` environment variable, then `127.0.0.1:7420`.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#endpoint PrewarmProvider#endpoint}
  */
  readonly endpoint?: string;
  /**
  * Use TLS without verifying the controller's certificate (encryption without identity; for tests only). Defaults to the `PREWARM_INSECURE` environment variable (`true`/`1`), then `false`.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#insecure PrewarmProvider#insecure}
  */
  readonly insecure?: boolean | cdktf.IResolvable;
  /**
  * Bearer token for the controller's API (the controller prints one on first start). Defaults to the `PREWARM_TOKEN` environment variable. Required in one of the two places.
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#token PrewarmProvider#token}
  */
  readonly token?: string;
  /**
  * Alias name
  *
  * Docs at Terraform Registry: {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#alias PrewarmProvider#alias}
  */
  readonly alias?: string;
}

/**
* Represents a {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs prewarm}
*/
export class PrewarmProvider extends cdktf.TerraformProvider {

  // =================
  // STATIC PROPERTIES
  // =================
  public static readonly tfResourceType = "prewarm";

  // ==============
  // STATIC Methods
  // ==============
  /**
  * Generates CDKTF code for importing a PrewarmProvider resource upon running "cdktf plan <stack-name>"
  * @param scope The scope in which to define this construct
  * @param importToId The construct id used in the generated config for the PrewarmProvider to import
  * @param importFromId The id of the existing PrewarmProvider that should be imported. Refer to the {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs#import import section} in the documentation of this resource for the id to use
  * @param provider? Optional instance of the provider where the PrewarmProvider to import is found
  */
  public static generateConfigForImport(scope: Construct, importToId: string, importFromId: string, provider?: cdktf.TerraformProvider) {
        return new cdktf.ImportableResource(scope, importToId, { terraformResourceType: "prewarm", importId: importFromId, provider });
      }

  // ===========
  // INITIALIZER
  // ===========

  /**
  * Create a new {@link https://registry.terraform.io/providers/prewarm/prewarm/latest/docs prewarm} Resource
  *
  * @param scope The scope in which to define this construct
  * @param id The scoped construct ID. Must be unique amongst siblings in the same scope
  * @param options PrewarmProviderConfig = {}
  */
  public constructor(scope: Construct, id: string, config: PrewarmProviderConfig = {}) {
    super(scope, id, {
      terraformResourceType: 'prewarm',
      terraformGeneratorMetadata: {
        providerName: 'prewarm'
      },
      terraformProviderSource: 'registry.terraform.io/prewarm/prewarm'
    });
    this._caCert = config.caCert;
    this._clientCert = config.clientCert;
    this._clientKey = config.clientKey;
    this._endpoint = config.endpoint;
    this._insecure = config.insecure;
    this._token = config.token;
    this._alias = config.alias;
  }

  // ==========
  // ATTRIBUTES
  // ==========

  // ca_cert - computed: false, optional: true, required: false
  private _caCert?: string; 
  public get caCert() {
    return this._caCert;
  }
  public set caCert(value: string | undefined) {
    this._caCert = value;
  }
  public resetCaCert() {
    this._caCert = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get caCertInput() {
    return this._caCert;
  }

  // client_cert - computed: false, optional: true, required: false
  private _clientCert?: string; 
  public get clientCert() {
    return this._clientCert;
  }
  public set clientCert(value: string | undefined) {
    this._clientCert = value;
  }
  public resetClientCert() {
    this._clientCert = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get clientCertInput() {
    return this._clientCert;
  }

  // client_key - computed: false, optional: true, required: false
  private _clientKey?: string; 
  public get clientKey() {
    return this._clientKey;
  }
  public set clientKey(value: string | undefined) {
    this._clientKey = value;
  }
  public resetClientKey() {
    this._clientKey = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get clientKeyInput() {
    return this._clientKey;
  }

  // endpoint - computed: false, optional: true, required: false
  private _endpoint?: string; 
  public get endpoint() {
    return this._endpoint;
  }
  public set endpoint(value: string | undefined) {
    this._endpoint = value;
  }
  public resetEndpoint() {
    this._endpoint = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get endpointInput() {
    return this._endpoint;
  }

  // insecure - computed: false, optional: true, required: false
  private _insecure?: boolean | cdktf.IResolvable; 
  public get insecure() {
    return this._insecure;
  }
  public set insecure(value: boolean | cdktf.IResolvable | undefined) {
    this._insecure = value;
  }
  public resetInsecure() {
    this._insecure = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get insecureInput() {
    return this._insecure;
  }

  // token - computed: false, optional: true, required: false
  private _token?: string; 
  public get token() {
    return this._token;
  }
  public set token(value: string | undefined) {
    this._token = value;
  }
  public resetToken() {
    this._token = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get tokenInput() {
    return this._token;
  }

  // alias - computed: false, optional: true, required: false
  private _alias?: string; 
  public override get alias() {
    return this._alias;
  }
  public override set alias(value: string | undefined) {
    this._alias = value;
  }
  public resetAlias() {
    this._alias = undefined;
  }
  // Temporarily expose input value. Use with caution.
  public get aliasInput() {
    return this._alias;
  }

  // =========
  // SYNTHESIS
  // =========

  protected override synthesizeAttributes(): { [name: string]: any } {
    return {
      ca_cert: cdktf.stringToTerraform(this._caCert),
      client_cert: cdktf.stringToTerraform(this._clientCert),
      client_key: cdktf.stringToTerraform(this._clientKey),
      endpoint: cdktf.stringToTerraform(this._endpoint),
      insecure: cdktf.booleanToTerraform(this._insecure),
      token: cdktf.stringToTerraform(this._token),
      alias: cdktf.stringToTerraform(this._alias),
    };
  }

  protected override synthesizeHclAttributes(): { [name: string]: any } {
    const attrs = {
      ca_cert: {
        value: cdktf.stringToHclTerraform(this._caCert),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      client_cert: {
        value: cdktf.stringToHclTerraform(this._clientCert),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      client_key: {
        value: cdktf.stringToHclTerraform(this._clientKey),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      endpoint: {
        value: cdktf.stringToHclTerraform(this._endpoint),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      insecure: {
        value: cdktf.booleanToHclTerraform(this._insecure),
        isBlock: false,
        type: "simple",
        storageClassType: "boolean",
      },
      token: {
        value: cdktf.stringToHclTerraform(this._token),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
      alias: {
        value: cdktf.stringToHclTerraform(this._alias),
        isBlock: false,
        type: "simple",
        storageClassType: "string",
      },
    };

    // remove undefined attributes
    return Object.fromEntries(Object.entries(attrs).filter(([_, value]) => value !== undefined && value.value !== undefined ))
  }
}
