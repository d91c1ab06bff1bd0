package provider

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"sync"

	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// Server implements the provider protocol over a Schema. OpenTofu starts
// one process per provider configuration (alias), so the configured region
// and default tags are per Server.
type Server struct {
	schema *Schema

	protoOnce sync.Once
	proto     *tfprotov6.GetProviderSchemaResponse

	mu  sync.Mutex
	env env
}

var _ tfprotov6.ProviderServer = (*Server)(nil)

// NewServer returns a provider serving s. The region defaults to
// AWS_REGION / AWS_DEFAULT_REGION / us-east-1 until the provider
// configuration says otherwise, as with the real provider.
func NewServer(s *Schema) *Server {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		region = "us-east-1"
	}
	return &Server{schema: s, env: env{region: region}}
}

func (s *Server) currentEnv() env {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.env
}

func errDiag(format string, args ...any) []*tfprotov6.Diagnostic {
	return []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: "aws schema replica: " + fmt.Sprintf(format, args...)}}
}

// capabilities: the schema never changes between instances, so OpenTofu
// may fetch it once per process and reuse it (GetProviderSchemaOptional);
// with a 4 MB schema that saves seconds per `run` block of a test.
func capabilities() *tfprotov6.ServerCapabilities {
	return &tfprotov6.ServerCapabilities{GetProviderSchemaOptional: true}
}

func (s *Server) GetMetadata(context.Context, *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	resp := &tfprotov6.GetMetadataResponse{ServerCapabilities: capabilities()}
	for _, n := range slices.Sorted(maps.Keys(s.schema.Resources)) {
		resp.Resources = append(resp.Resources, tfprotov6.ResourceMetadata{TypeName: n})
	}
	for _, n := range slices.Sorted(maps.Keys(s.schema.DataSources)) {
		resp.DataSources = append(resp.DataSources, tfprotov6.DataSourceMetadata{TypeName: n})
	}
	for _, n := range slices.Sorted(maps.Keys(s.schema.Ephemeral)) {
		resp.EphemeralResources = append(resp.EphemeralResources, tfprotov6.EphemeralResourceMetadata{TypeName: n})
	}
	return resp, nil
}

func (s *Server) GetProviderSchema(context.Context, *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	s.protoOnce.Do(func() {
		r := &tfprotov6.GetProviderSchemaResponse{
			ServerCapabilities:       capabilities(),
			Provider:                 Proto(s.schema.Provider),
			ResourceSchemas:          map[string]*tfprotov6.Schema{},
			DataSourceSchemas:        map[string]*tfprotov6.Schema{},
			EphemeralResourceSchemas: map[string]*tfprotov6.Schema{},
			Functions:                map[string]*tfprotov6.Function{},
		}
		for n, sch := range s.schema.Resources {
			r.ResourceSchemas[n] = Proto(sch)
		}
		for n, sch := range s.schema.DataSources {
			r.DataSourceSchemas[n] = Proto(sch)
		}
		for n, sch := range s.schema.Ephemeral {
			r.EphemeralResourceSchemas[n] = Proto(sch)
		}
		s.proto = r
	})
	return s.proto, nil
}

func (s *Server) GetResourceIdentitySchemas(context.Context, *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return &tfprotov6.GetResourceIdentitySchemasResponse{IdentitySchemas: map[string]*tfprotov6.ResourceIdentitySchema{}}, nil
}

func (s *Server) ValidateProviderConfig(_ context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return &tfprotov6.ValidateProviderConfigResponse{PreparedConfig: req.Config}, nil
}

// ConfigureProvider records region and default_tags.tags, the two settings
// that change planned values (region and tags_all).
func (s *Server) ConfigureProvider(_ context.Context, req *tfprotov6.ConfigureProviderRequest) (resp *tfprotov6.ConfigureProviderResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.ConfigureProviderResponse{Diagnostics: errDiag("internal error in ConfigureProvider: %v", r)}, nil
		}
	}()
	if req.Config == nil {
		return &tfprotov6.ConfigureProviderResponse{}, nil
	}
	v, err := req.Config.Unmarshal(ValueType(s.schema.Provider.Block))
	if err != nil {
		return &tfprotov6.ConfigureProviderResponse{Diagnostics: errDiag("decode provider configuration: %v", err)}, nil
	}
	cfg, _ := goValue(v).(map[string]any)
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, _ := cfg["region"].(string); r != "" {
		s.env.region = r
	}
	s.env.defaultTags = nil
	if dts, _ := cfg["default_tags"].([]any); len(dts) > 0 {
		if dt, _ := dts[0].(map[string]any); dt != nil {
			if tags, _ := dt["tags"].(map[string]any); tags != nil {
				s.env.defaultTags = map[string]string{}
				for k, v := range tags {
					if str, ok := v.(string); ok {
						s.env.defaultTags[k] = str
					}
				}
			}
		}
	}
	return &tfprotov6.ConfigureProviderResponse{}, nil
}

func (s *Server) StopProvider(context.Context, *tfprotov6.StopProviderRequest) (*tfprotov6.StopProviderResponse, error) {
	return &tfprotov6.StopProviderResponse{}, nil
}

// Resources.

func (s *Server) resource(name string) (*tfjson.Schema, tftypes.Type, []*tfprotov6.Diagnostic) {
	sch := s.schema.Resources[name]
	if sch == nil {
		return nil, nil, errDiag("unknown resource type %s", name)
	}
	return sch, ValueType(sch.Block), nil
}

func (s *Server) ValidateResourceConfig(context.Context, *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	// OpenTofu itself checks names, types and required arguments against
	// the schema; the provider's own validators are not replicated.
	return &tfprotov6.ValidateResourceConfigResponse{}, nil
}

func (s *Server) UpgradeResourceState(_ context.Context, req *tfprotov6.UpgradeResourceStateRequest) (resp *tfprotov6.UpgradeResourceStateResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("internal error in UpgradeResourceState: %v", r)}, nil
		}
	}()
	_, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: diags}, nil
	}
	if req.RawState == nil {
		return &tfprotov6.UpgradeResourceStateResponse{}, nil
	}
	v, err := req.RawState.UnmarshalWithOpts(typ, tfprotov6.UnmarshalOpts{ValueFromJSONOpts: tftypes.ValueFromJSONOpts{IgnoreUndefinedAttributes: true}})
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("decode %s state: %v", req.TypeName, err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, v)
	if err != nil {
		return &tfprotov6.UpgradeResourceStateResponse{Diagnostics: errDiag("encode %s state: %v", req.TypeName, err)}, nil
	}
	return &tfprotov6.UpgradeResourceStateResponse{UpgradedState: &dv}, nil
}

func (s *Server) ReadResource(_ context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return &tfprotov6.ReadResourceResponse{NewState: req.CurrentState, Private: req.Private}, nil
}

func (s *Server) PlanResourceChange(_ context.Context, req *tfprotov6.PlanResourceChangeRequest) (resp *tfprotov6.PlanResourceChangeResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("internal error in PlanResourceChange: %v", r)}, nil
		}
	}()
	sch, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: diags}, nil
	}
	proposed, err := req.ProposedNewState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("decode %s proposed state: %v", req.TypeName, err)}, nil
	}
	w := walker{env: s.currentEnv(), typeName: req.TypeName}
	planned, err := w.planBlock(sch.Block, proposed, true)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("plan %s: %v", req.TypeName, err)}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, planned)
	if err != nil {
		return &tfprotov6.PlanResourceChangeResponse{Diagnostics: errDiag("encode %s plan: %v", req.TypeName, err)}, nil
	}
	// The plan keeps every configured value as given, so OpenTofu's
	// plan-validity checks hold without the deprecated legacy-type-system
	// escape hatch the real (SDKv2) provider uses.
	return &tfprotov6.PlanResourceChangeResponse{PlannedState: &dv, PlannedPrivate: req.PriorPrivate}, nil
}

func (s *Server) ApplyResourceChange(_ context.Context, req *tfprotov6.ApplyResourceChangeRequest) (resp *tfprotov6.ApplyResourceChangeResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("internal error in ApplyResourceChange: %v", r)}, nil
		}
	}()
	_, typ, diags := s.resource(req.TypeName)
	if diags != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: diags}, nil
	}
	planned, err := req.PlannedState.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("decode %s planned state: %v", req.TypeName, err)}, nil
	}
	seed := ""
	if req.Config != nil {
		if c, err := req.Config.Unmarshal(typ); err == nil {
			seed = configSeed(c)
		}
	}
	w := walker{env: s.currentEnv(), typeName: req.TypeName, seed: seed, values: map[string]tftypes.Value{}}
	newState := planned
	if !planned.IsNull() {
		_ = planned.As(&w.values)
		newState = w.fill(planned, nil)
	}
	dv, err := tfprotov6.NewDynamicValue(typ, newState)
	if err != nil {
		return &tfprotov6.ApplyResourceChangeResponse{Diagnostics: errDiag("encode %s state: %v", req.TypeName, err)}, nil
	}
	return &tfprotov6.ApplyResourceChangeResponse{NewState: &dv, Private: req.PlannedPrivate}, nil
}

func (s *Server) ImportResourceState(_ context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return &tfprotov6.ImportResourceStateResponse{Diagnostics: errDiag("cannot import %s: there is no AWS behind the replica", req.TypeName)}, nil
}

func (s *Server) MoveResourceState(_ context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return &tfprotov6.MoveResourceStateResponse{Diagnostics: errDiag("moving state between resource types is not supported (%s)", req.TargetTypeName)}, nil
}

func (s *Server) UpgradeResourceIdentity(context.Context, *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return &tfprotov6.UpgradeResourceIdentityResponse{Diagnostics: errDiag("resource identities are not replicated")}, nil
}

func (s *Server) GenerateResourceConfig(context.Context, *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return &tfprotov6.GenerateResourceConfigResponse{Diagnostics: errDiag("config generation is not supported")}, nil
}

// Data sources.

func (s *Server) ValidateDataResourceConfig(context.Context, *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return &tfprotov6.ValidateDataResourceConfigResponse{}, nil
}

func (s *Server) ReadDataSource(_ context.Context, req *tfprotov6.ReadDataSourceRequest) (resp *tfprotov6.ReadDataSourceResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("internal error in ReadDataSource: %v", r)}, nil
		}
	}()
	sch := s.schema.DataSources[req.TypeName]
	if sch == nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("unknown data source %s", req.TypeName)}, nil
	}
	typ := ValueType(sch.Block)
	cfg, err := req.Config.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("decode %s configuration: %v", req.TypeName, err)}, nil
	}
	state, diags := s.readData(req.TypeName, sch.Block, typ, cfg)
	if diags != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: diags}, nil
	}
	dv, err := tfprotov6.NewDynamicValue(typ, state)
	if err != nil {
		return &tfprotov6.ReadDataSourceResponse{Diagnostics: errDiag("encode %s: %v", req.TypeName, err)}, nil
	}
	return &tfprotov6.ReadDataSourceResponse{State: &dv}, nil
}

// readData fills a data source's computed attributes: real values for the
// locally computable ones, placeholders for the rest.
func (s *Server) readData(typeName string, b *tfjson.SchemaBlock, typ tftypes.Type, cfg tftypes.Value) (tftypes.Value, []*tfprotov6.Diagnostic) {
	e := s.currentEnv()
	w := walker{env: e, typeName: typeName, seed: configSeed(cfg)}
	if render := localDataSources[typeName]; render != nil {
		goCfg, _ := goValue(cfg).(map[string]any)
		vals, err := render(e, goCfg)
		if err != nil {
			return cfg, errDiag("%s: %v", typeName, err)
		}
		m := map[string]tftypes.Value{}
		if err := cfg.As(&m); err != nil {
			return cfg, errDiag("%s: %v", typeName, err)
		}
		for name, x := range vals {
			a := b.Attributes[name]
			cur, ok := m[name]
			if a == nil || !ok || !a.Computed || (!cur.IsNull() && cur.IsKnown()) {
				continue
			}
			v, err := fromGo(cur.Type(), x)
			if err != nil {
				return cfg, errDiag("%s.%s: %v", typeName, name, err)
			}
			m[name] = v
		}
		cfg = tftypes.NewValue(typ, m)
	}
	return w.fillComputed(b, cfg, nil), nil
}

// Ephemeral resources: opened with placeholders, like data sources.

func (s *Server) ValidateEphemeralResourceConfig(context.Context, *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return &tfprotov6.ValidateEphemeralResourceConfigResponse{}, nil
}

func (s *Server) OpenEphemeralResource(_ context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (resp *tfprotov6.OpenEphemeralResourceResponse, err error) {
	defer func() {
		if r := recover(); r != nil {
			resp, err = &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errDiag("internal error in OpenEphemeralResource: %v", r)}, nil
		}
	}()
	sch := s.schema.Ephemeral[req.TypeName]
	if sch == nil {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errDiag("unknown ephemeral resource %s", req.TypeName)}, nil
	}
	typ := ValueType(sch.Block)
	cfg, err := req.Config.Unmarshal(typ)
	if err != nil {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errDiag("decode %s: %v", req.TypeName, err)}, nil
	}
	w := walker{env: s.currentEnv(), typeName: req.TypeName, seed: configSeed(cfg)}
	dv, err := tfprotov6.NewDynamicValue(typ, w.fillComputed(sch.Block, cfg, nil))
	if err != nil {
		return &tfprotov6.OpenEphemeralResourceResponse{Diagnostics: errDiag("encode %s: %v", req.TypeName, err)}, nil
	}
	return &tfprotov6.OpenEphemeralResourceResponse{Result: &dv}, nil
}

func (s *Server) RenewEphemeralResource(context.Context, *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return &tfprotov6.RenewEphemeralResourceResponse{}, nil
}

func (s *Server) CloseEphemeralResource(context.Context, *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return &tfprotov6.CloseEphemeralResourceResponse{}, nil
}

// Functions: the replica offers none (the real provider's arn_parse,
// arn_build, trim_iam_role_path are not in the schema source).

func (s *Server) CallFunction(_ context.Context, req *tfprotov6.CallFunctionRequest) (*tfprotov6.CallFunctionResponse, error) {
	return &tfprotov6.CallFunctionResponse{Error: &tfprotov6.FunctionError{Text: "aws schema replica: no function " + req.Name}}, nil
}

func (s *Server) GetFunctions(context.Context, *tfprotov6.GetFunctionsRequest) (*tfprotov6.GetFunctionsResponse, error) {
	return &tfprotov6.GetFunctionsResponse{Functions: map[string]*tfprotov6.Function{}}, nil
}
