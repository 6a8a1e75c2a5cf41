package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// The SDKs declare some outputs that only the cloud (or the real provider) produces: the program cannot
// pass them as inputs. A program that reads them (a generated password, a Spaces key) would see
// `undefined` under a plain pass-through, so the double fills exactly these, per type, and nothing else.
// Generated credentials are random (crypto/rand) and marked secret, as the real providers mark them,
// so the state export can be checked for plaintext leaks of values nobody wrote down.
type computedType struct {
	keys []string
	fill func(in resource.PropertyMap) (resource.PropertyMap, error)
}

var computedTypes = map[string]computedType{
	// random: result (secret) of `length` characters from the classes the inputs allow. bcryptHash is not produced.
	"random:index/randomPassword:RandomPassword": {keys: []string{"result"}, fill: func(in resource.PropertyMap) (resource.PropertyMap, error) {
		s, err := randomString(in)
		return resource.PropertyMap{"result": secret(s)}, err
	}},
	"random:index/randomString:RandomString": {keys: []string{"result"}, fill: func(in resource.PropertyMap) (resource.PropertyMap, error) {
		s, err := randomString(in)
		return resource.PropertyMap{"result": resource.NewStringProperty(s)}, err
	}},
	// random: byteLength random bytes in the encodings the SDK declares, each with the optional prefix.
	"random:index/randomId:RandomId": {keys: []string{"hex", "b64Std", "b64Url", "dec"}, fill: func(in resource.PropertyMap) (resource.PropertyMap, error) {
		n, err := intInput(in, "byteLength", -1)
		if err != nil {
			return nil, err
		}
		b, err := randomBytes(n)
		if err != nil {
			return nil, err
		}
		prefix := stringInput(in, "prefix")
		return resource.PropertyMap{
			"hex":    resource.NewStringProperty(prefix + hex.EncodeToString(b)),
			"b64Std": resource.NewStringProperty(prefix + base64.StdEncoding.EncodeToString(b)),
			"b64Url": resource.NewStringProperty(prefix + base64.RawURLEncoding.EncodeToString(b)),
			"dec":    resource.NewStringProperty(prefix + new(big.Int).SetBytes(b).String()),
		}, nil
	}},
	"random:index/randomBytes:RandomBytes": {keys: []string{"hex", "base64"}, fill: func(in resource.PropertyMap) (resource.PropertyMap, error) {
		n, err := intInput(in, "length", -1)
		if err != nil {
			return nil, err
		}
		b, err := randomBytes(n)
		return resource.PropertyMap{
			"hex":    secret(hex.EncodeToString(b)),
			"base64": secret(base64.StdEncoding.EncodeToString(b)),
		}, err
	}},
	// digitalocean: a Spaces key's access key id, secret (secret) and creation time come from the API.
	"digitalocean:index/spacesKey:SpacesKey": {keys: []string{"accessKey", "secretKey", "createdAt"}, fill: func(resource.PropertyMap) (resource.PropertyMap, error) {
		id, err := randomFrom("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 18)
		if err != nil {
			return nil, err
		}
		b, err := randomBytes(32)
		return resource.PropertyMap{
			"accessKey": resource.NewStringProperty("DO" + id),
			"secretKey": secret(base64.RawStdEncoding.EncodeToString(b)),
			"createdAt": resource.NewStringProperty(time.Now().UTC().Format(time.RFC3339)),
		}, err
	}},
	// digitalocean: a bucket's endpoint names are derived from its name and region.
	"digitalocean:index/spacesBucket:SpacesBucket": {keys: []string{"bucketDomainName", "endpoint", "bucketUrn"}, fill: func(in resource.PropertyMap) (resource.PropertyMap, error) {
		name, region := stringInput(in, "name"), stringInput(in, "region")
		if name == "" || region == "" {
			return nil, fmt.Errorf("the double needs explicit name and region inputs (got name=%q region=%q)", name, region)
		}
		return resource.PropertyMap{
			"bucketDomainName": resource.NewStringProperty(name + "." + region + ".digitaloceanspaces.com"),
			"endpoint":         resource.NewStringProperty(region + ".digitaloceanspaces.com"),
			"bucketUrn":        resource.NewStringProperty("do:space:" + name),
		}, nil
	}},
}

func computedKeys(t string) []string {
	return computedTypes[t].keys
}

func computeOutputs(t string, in resource.PropertyMap) (resource.PropertyMap, error) {
	c, ok := computedTypes[t]
	if !ok {
		return resource.PropertyMap{}, nil
	}
	return c.fill(in)
}

// idFor assigns the id the engine records: Kubernetes objects get `<namespace>/<name>` (or `<name>`
// when cluster-scoped), like the real provider; Spaces keys their access key id, buckets their name;
// random ids their b64Url value, passwords and strings "none" (as the real providers do); anything else
// a random hex id.
func idFor(pkg, t string, outs resource.PropertyMap) (string, error) {
	switch {
	case pkg == "kubernetes":
		meta := plain(outs["metadata"])
		if !meta.IsObject() {
			return "", fmt.Errorf("pass-through double: %s has no metadata object", t)
		}
		name := stringInput(meta.ObjectValue(), "name")
		if name == "" {
			return "", fmt.Errorf("pass-through double: %s has no metadata.name (the double does not auto-name)", t)
		}
		if ns := stringInput(meta.ObjectValue(), "namespace"); ns != "" {
			return ns + "/" + name, nil
		}
		return name, nil
	case t == "digitalocean:index/spacesKey:SpacesKey":
		return stringInput(outs, "accessKey"), nil
	case t == "digitalocean:index/spacesBucket:SpacesBucket":
		return stringInput(outs, "name"), nil
	case t == "random:index/randomPassword:RandomPassword" || t == "random:index/randomString:RandomString":
		return "none", nil
	case t == "random:index/randomId:RandomId":
		return stringInput(outs, "b64Url"), nil
	}
	b, err := randomBytes(8)
	return hex.EncodeToString(b), err
}

func secret(s string) resource.PropertyValue {
	return resource.MakeSecret(resource.NewStringProperty(s))
}

// plain unwraps a secret so the double can read a value the program marked secret.
func plain(v resource.PropertyValue) resource.PropertyValue {
	for v.IsSecret() {
		v = v.SecretValue().Element
	}
	return v
}

func stringInput(in resource.PropertyMap, key string) string {
	if v := plain(in[resource.PropertyKey(key)]); v.IsString() {
		return v.StringValue()
	}
	return ""
}

func boolInput(in resource.PropertyMap, key string, def bool) bool {
	if v := plain(in[resource.PropertyKey(key)]); v.IsBool() {
		return v.BoolValue()
	}
	return def
}

// intInput reads a whole number; def < 0 means the input is required.
func intInput(in resource.PropertyMap, key string, def int) (int, error) {
	v := plain(in[resource.PropertyKey(key)])
	if !v.IsNumber() {
		if def < 0 {
			return 0, fmt.Errorf("input %q must be a number, got %v", key, v)
		}
		return def, nil
	}
	n := v.NumberValue()
	if n < 1 || n > 4096 || n != float64(int(n)) {
		return 0, fmt.Errorf("input %q must be a whole number from 1 to 4096, got %v", key, n)
	}
	return int(n), nil
}

// randomString follows the character-class inputs of random.RandomPassword/RandomString
// (length, upper, lower, numeric, special, overrideSpecial); min* constraints are not enforced.
func randomString(in resource.PropertyMap) (string, error) {
	n, err := intInput(in, "length", -1)
	if err != nil {
		return "", err
	}
	chars := ""
	if boolInput(in, "upper", true) {
		chars += "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	}
	if boolInput(in, "lower", true) {
		chars += "abcdefghijklmnopqrstuvwxyz"
	}
	if boolInput(in, "numeric", true) {
		chars += "0123456789"
	}
	if boolInput(in, "special", true) {
		if o := stringInput(in, "overrideSpecial"); o != "" {
			chars += o
		} else {
			chars += "!@#$%&*()-_=+[]{}<>:?"
		}
	}
	if chars == "" {
		return "", fmt.Errorf("inputs upper, lower, numeric and special are all false: no characters to choose from")
	}
	return randomFrom(chars, n)
}

func randomFrom(chars string, n int) (string, error) {
	out := make([]byte, n)
	max := big.NewInt(int64(len(chars)))
	for i := range out {
		j, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", err
		}
		out[i] = chars[j.Int64()]
	}
	return string(out), nil
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}
