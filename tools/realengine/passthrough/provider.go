package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// passthrough implements pulumirpc.ResourceProviderServer for every resource type of one package.
// Methods it does not implement (Handshake, Parameterize, Call, List, Attach) answer Unimplemented,
// which the engine treats as "not supported".
type passthrough struct {
	pulumirpc.UnimplementedResourceProviderServer
	pkg     string
	version string
}

func newPassthrough(pkg, version string) *passthrough {
	return &passthrough{pkg: pkg, version: version}
}

// Property (un)marshalling keeps secrets and unknowns exactly as the engine sent them.
var keep = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: false}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	if s == nil {
		return resource.PropertyMap{}, nil
	}
	return plugin.UnmarshalProperties(s, keep)
}

func marshal(m resource.PropertyMap) (*structpb.Struct, error) {
	return plugin.MarshalProperties(m, keep)
}

// typeOf returns the resource type token of a URN ("kubernetes:core/v1:Secret").
func typeOf(urn string) string {
	return string(resource.URN(urn).Type())
}

func (p *passthrough) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

// GetSchema answers with a minimal package schema: the double declares no types. The engine does not
// need the schema to register resources; tools that generate SDKs would.
func (p *passthrough) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	schema, err := json.Marshal(map[string]any{
		"name":        p.pkg,
		"version":     p.version,
		"description": "pass-through test double standing in for the " + p.pkg + " provider (no cloud behind it)",
	})
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetSchemaResponse{Schema: string(schema)}, nil
}

// CheckConfig accepts any provider configuration (kubeconfig, token, ...) unchanged.
func (p *passthrough) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// DiffConfig reports which configuration keys changed; a config change never replaces anything.
func (p *passthrough) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds := req.GetOldInputs()
	if olds == nil {
		olds = req.GetOlds()
	}
	return p.diff(olds, req.GetNews(), false)
}

// Configure accepts secrets and resource references so values reach Create/Update exactly as the
// program produced them, and supports preview so Update is asked during `pulumi preview` too.
func (p *passthrough) Configure(context.Context, *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, SupportsPreview: true}, nil
}

// Check returns the program's inputs unchanged: the double applies no provider defaults, so the engine
// records exactly what the program sent.
func (p *passthrough) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	if err := p.owns(req.GetUrn()); err != nil {
		return nil, err
	}
	return &pulumirpc.CheckResponse{Inputs: req.GetNews()}, nil
}

// Diff compares old and new inputs key by key. Resources of the random package are replaced on any
// change (every input of the real random resources forces a new value); everything else is updated in
// place (the double does not know which Kubernetes or DigitalOcean fields force a replacement).
func (p *passthrough) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	olds := req.GetOldInputs()
	if olds == nil {
		olds = req.GetOlds()
	}
	return p.diff(olds, req.GetNews(), p.pkg == "random")
}

func (p *passthrough) diff(oldStruct, newStruct *structpb.Struct, replace bool) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(oldStruct)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(newStruct)
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var changed []string
	for k := range keys {
		o, inOld := olds[k]
		n, inNew := news[k]
		if inOld != inNew || !o.DeepEqualsIncludeUnknowns(n) {
			changed = append(changed, string(k))
		}
	}
	sort.Strings(changed)
	if len(changed) == 0 {
		return &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_NONE}, nil
	}
	resp := &pulumirpc.DiffResponse{Changes: pulumirpc.DiffResponse_DIFF_SOME, Diffs: changed}
	if replace {
		resp.Replaces = changed
	}
	return resp, nil
}

// Create returns the inputs as outputs, adds the outputs the SDK declares as cloud-computed for the
// type (computed.go) and assigns an id (ids.go). During preview the computed outputs are unknown.
func (p *passthrough) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	if err := p.owns(req.GetUrn()); err != nil {
		return nil, err
	}
	news, err := unmarshal(req.GetProperties())
	if err != nil {
		return nil, err
	}
	t := typeOf(req.GetUrn())
	outs := news.Copy()
	if req.GetPreview() {
		for _, k := range computedKeys(t) {
			outs[resource.PropertyKey(k)] = resource.MakeComputed(resource.NewStringProperty(""))
		}
		s, err := marshal(outs)
		return &pulumirpc.CreateResponse{Properties: s}, err
	}
	extra, err := computeOutputs(t, news)
	if err != nil {
		return nil, fmt.Errorf("pass-through double, %s: %w", t, err)
	}
	for k, v := range extra {
		outs[k] = v
	}
	id, err := idFor(p.pkg, t, outs)
	if err != nil {
		return nil, err
	}
	s, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.CreateResponse{Id: id, Properties: s}, nil
}

// Read returns the state it is given (refresh, `get`). With no state there is nothing to read: the
// double has no cloud to look an id up in, so an import by id finds nothing.
func (p *passthrough) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	if req.GetProperties() == nil || len(req.GetProperties().GetFields()) == 0 {
		return &pulumirpc.ReadResponse{}, nil
	}
	return &pulumirpc.ReadResponse{Id: req.GetId(), Properties: req.GetProperties(), Inputs: req.GetInputs()}, nil
}

// Update returns the new inputs as outputs and keeps the cloud-computed outputs of the old state.
func (p *passthrough) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.GetNews())
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.GetOlds())
	if err != nil {
		return nil, err
	}
	outs := news.Copy()
	for _, k := range computedKeys(typeOf(req.GetUrn())) {
		if v, ok := olds[resource.PropertyKey(k)]; ok {
			outs[resource.PropertyKey(k)] = v
		}
	}
	s, err := marshal(outs)
	if err != nil {
		return nil, err
	}
	return &pulumirpc.UpdateResponse{Properties: s}, nil
}

func (p *passthrough) Delete(context.Context, *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

// Invoke answers every function with an empty result: the double has no cloud to look anything up in.
func (p *passthrough) Invoke(context.Context, *pulumirpc.InvokeRequest) (*pulumirpc.InvokeResponse, error) {
	return &pulumirpc.InvokeResponse{Return: &structpb.Struct{Fields: map[string]*structpb.Value{}}}, nil
}

// Construct is refused with a clear message: component resources implemented by a provider (Helm
// charts, yaml/v2 ConfigGroups) would need the real provider's code.
func (p *passthrough) Construct(_ context.Context, req *pulumirpc.ConstructRequest) (*pulumirpc.ConstructResponse, error) {
	return nil, status.Errorf(codes.Unimplemented,
		"pass-through double for %s cannot construct component resource %s: it only stands in for custom resources",
		p.pkg, req.GetType())
}

func (p *passthrough) Cancel(context.Context, *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, nil
}

func (p *passthrough) GetMapping(context.Context, *pulumirpc.GetMappingRequest) (*pulumirpc.GetMappingResponse, error) {
	return &pulumirpc.GetMappingResponse{}, nil
}

func (p *passthrough) GetMappings(context.Context, *pulumirpc.GetMappingsRequest) (*pulumirpc.GetMappingsResponse, error) {
	return &pulumirpc.GetMappingsResponse{}, nil
}

// owns refuses resources of another package: one binary is installed under several names, and a
// request for a type of another package means the engine resolved the wrong plugin.
func (p *passthrough) owns(urn string) error {
	t := typeOf(urn)
	if !strings.HasPrefix(t, p.pkg+":") {
		return status.Errorf(codes.InvalidArgument, "pass-through double for %s got a resource of type %s", p.pkg, t)
	}
	return nil
}
