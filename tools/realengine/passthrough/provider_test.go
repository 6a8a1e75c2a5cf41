package main

import (
	"context"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/structpb"
)

const (
	pwURN     = "urn:pulumi:dev::p::random:index/randomPassword:RandomPassword::pw"
	keyURN    = "urn:pulumi:dev::p::digitalocean:index/spacesKey:SpacesKey::k"
	secretURN = "urn:pulumi:dev::p::kubernetes:core/v1:Secret::s"
)

func mustStruct(t *testing.T, m resource.PropertyMap) *structpb.Struct {
	t.Helper()
	s, err := marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustMap(t *testing.T, s *structpb.Struct) resource.PropertyMap {
	t.Helper()
	m, err := unmarshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestIdentityTakesPackageFromFileAndVersionFromPluginDirectory(t *testing.T) {
	pkg, version, err := identity("/home/x/.pulumi/plugins/resource-kubernetes-v4.34.2/pulumi-resource-kubernetes")
	if err != nil || pkg != "kubernetes" || version != "4.34.2" {
		t.Fatalf("got %q %q %v", pkg, version, err)
	}
	if _, _, err := identity("/tmp/some-binary"); err == nil {
		t.Fatal("a binary not named pulumi-resource-<package> was accepted")
	}
}

func TestCheckReturnsTheInputsUnchanged(t *testing.T) {
	p := newPassthrough("kubernetes", "4.34.2")
	news := mustStruct(t, resource.PropertyMap{
		"metadata":   resource.NewObjectProperty(resource.PropertyMap{"name": resource.NewStringProperty("s")}),
		"stringData": resource.MakeSecret(resource.NewObjectProperty(resource.PropertyMap{"A": resource.NewStringProperty("b")})),
	})
	resp, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: secretURN, News: news})
	if err != nil {
		t.Fatal(err)
	}
	if !mustMap(t, resp.Inputs).DeepEquals(mustMap(t, news)) {
		t.Fatalf("inputs changed: %v", resp.Inputs)
	}
}

func TestCheckRefusesATypeOfAnotherPackage(t *testing.T) {
	p := newPassthrough("random", "4.21.2")
	if _, err := p.Check(context.Background(), &pulumirpc.CheckRequest{Urn: secretURN, News: &structpb.Struct{}}); err == nil {
		t.Fatal("random double accepted a kubernetes resource")
	}
}

func TestDiffReplacesRandomResourcesAndUpdatesOthersInPlace(t *testing.T) {
	olds := mustStruct(t, resource.PropertyMap{"length": resource.NewNumberProperty(24)})
	news := mustStruct(t, resource.PropertyMap{"length": resource.NewNumberProperty(32)})
	r, err := newPassthrough("random", "4.21.2").Diff(context.Background(), &pulumirpc.DiffRequest{Urn: pwURN, OldInputs: olds, News: news})
	if err != nil || r.Changes != pulumirpc.DiffResponse_DIFF_SOME || strings.Join(r.Replaces, ",") != "length" {
		t.Fatalf("random: %v %v", r, err)
	}
	k, err := newPassthrough("kubernetes", "4.34.2").Diff(context.Background(), &pulumirpc.DiffRequest{Urn: secretURN, OldInputs: olds, News: news})
	if err != nil || k.Changes != pulumirpc.DiffResponse_DIFF_SOME || len(k.Replaces) != 0 || strings.Join(k.Diffs, ",") != "length" {
		t.Fatalf("kubernetes: %v %v", k, err)
	}
	same, err := newPassthrough("kubernetes", "4.34.2").Diff(context.Background(), &pulumirpc.DiffRequest{Urn: secretURN, OldInputs: news, News: news})
	if err != nil || same.Changes != pulumirpc.DiffResponse_DIFF_NONE {
		t.Fatalf("unchanged: %v %v", same, err)
	}
}

func TestCreateGeneratesASecretPasswordOfTheRequestedLengthAndClasses(t *testing.T) {
	p := newPassthrough("random", "4.21.2")
	in := mustStruct(t, resource.PropertyMap{
		"length": resource.NewNumberProperty(64), "upper": resource.NewBoolProperty(false),
		"lower": resource.NewBoolProperty(false), "special": resource.NewBoolProperty(true),
		"overrideSpecial": resource.NewStringProperty("abcdef"),
	})
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: pwURN, Properties: in})
	if err != nil {
		t.Fatal(err)
	}
	result := mustMap(t, resp.Properties)["result"]
	if !result.IsSecret() {
		t.Fatal("result is not secret")
	}
	s := result.SecretValue().Element.StringValue()
	if len(s) != 64 || strings.Trim(s, "0123456789abcdef") != "" {
		t.Fatalf("result %q is not 64 hex characters", s)
	}
	if resp.Id != "none" {
		t.Fatalf("id %q", resp.Id)
	}
}

func TestCreateDuringPreviewLeavesComputedOutputsUnknown(t *testing.T) {
	p := newPassthrough("digitalocean", "4.80.1")
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: keyURN, Preview: true,
		Properties: mustStruct(t, resource.PropertyMap{"name": resource.NewStringProperty("k")})})
	if err != nil {
		t.Fatal(err)
	}
	out := mustMap(t, resp.Properties)
	for _, k := range []resource.PropertyKey{"accessKey", "secretKey", "createdAt"} {
		if !out[k].IsComputed() {
			t.Fatalf("%s is %v during preview", k, out[k])
		}
	}
}

func TestUpdateKeepsTheCloudComputedOutputsOfTheOldState(t *testing.T) {
	p := newPassthrough("digitalocean", "4.80.1")
	created, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: keyURN,
		Properties: mustStruct(t, resource.PropertyMap{"name": resource.NewStringProperty("k")})})
	if err != nil {
		t.Fatal(err)
	}
	updated, err := p.Update(context.Background(), &pulumirpc.UpdateRequest{Urn: keyURN, Id: created.Id, Olds: created.Properties,
		News: mustStruct(t, resource.PropertyMap{"name": resource.NewStringProperty("k2")})})
	if err != nil {
		t.Fatal(err)
	}
	before, after := mustMap(t, created.Properties), mustMap(t, updated.Properties)
	if !before["secretKey"].DeepEquals(after["secretKey"]) || before["accessKey"].StringValue() != created.Id {
		t.Fatalf("computed outputs changed: %v -> %v", before, after)
	}
	if after["name"].StringValue() != "k2" {
		t.Fatalf("new input not applied: %v", after["name"])
	}
}

func TestKubernetesObjectsGetNamespaceSlashNameIds(t *testing.T) {
	p := newPassthrough("kubernetes", "4.34.2")
	meta := resource.PropertyMap{"name": resource.NewStringProperty("ternent-postgres"), "namespace": resource.NewStringProperty("backend")}
	resp, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: secretURN,
		Properties: mustStruct(t, resource.PropertyMap{"metadata": resource.NewObjectProperty(meta)})})
	if err != nil || resp.Id != "backend/ternent-postgres" {
		t.Fatalf("id %q, %v", resp.GetId(), err)
	}
	if _, err := p.Create(context.Background(), &pulumirpc.CreateRequest{Urn: secretURN,
		Properties: mustStruct(t, resource.PropertyMap{"metadata": resource.NewObjectProperty(resource.PropertyMap{})})}); err == nil {
		t.Fatal("an object without metadata.name was created")
	}
}
