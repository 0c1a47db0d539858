package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// The resource lifecycle, typed: I are a resource's inputs, O its state. (pulumi-go-provider's infer
// package would derive this, but v1.3.0's infer does not build against pulumi pkg v3.274.1, the only
// pkg version that builds with sdk v3.274.1; its core Provider type does, so orbos decodes itself.)
type (
	CreateRequest[I any] struct {
		Name   string
		Inputs I
		DryRun bool
	}
	CreateResponse[O any] struct {
		ID     string
		Output O
		// Unknown are top-level outputs a preview cannot know yet (computed).
		Unknown []string
	}
	ReadRequest[I, O any] struct {
		ID     string
		Inputs I
		State  O
	}
	// ReadResponse with an empty ID says the resource is gone.
	ReadResponse[I, O any] struct {
		ID     string
		Inputs I
		State  O
	}
	DiffRequest[I, O any] struct {
		ID     string
		State  O
		Inputs I
	}
	DiffResponse            = p.DiffResponse
	UpdateRequest[I, O any] struct {
		ID     string
		State  O
		Inputs I
		DryRun bool
	}
	UpdateResponse[O any] struct {
		Output O
		// Unknown are top-level outputs a preview cannot know yet (computed).
		Unknown []string
	}
	DeleteRequest[O any] struct {
		ID    string
		State O
	}
	DeleteResponse struct{}
)

// resource is a custom resource of the provider.
type resource[I, O any] interface {
	Create(context.Context, CreateRequest[I]) (CreateResponse[O], error)
	Read(context.Context, ReadRequest[I, O]) (ReadResponse[I, O], error)
	Diff(context.Context, DiffRequest[I, O]) (DiffResponse, error)
	Update(context.Context, UpdateRequest[I, O]) (UpdateResponse[O], error)
	Delete(context.Context, DeleteRequest[O]) (DeleteResponse, error)
}

// handler is one resource type's lifecycle on property maps.
type handler struct {
	check  func(property.Map) ([]p.CheckFailure, error)
	create func(context.Context, p.CreateRequest) (p.CreateResponse, error)
	read   func(context.Context, p.ReadRequest) (p.ReadResponse, error)
	diff   func(context.Context, p.DiffRequest) (p.DiffResponse, error)
	update func(context.Context, p.UpdateRequest) (p.UpdateResponse, error)
	delete func(context.Context, p.DeleteRequest) error
}

// secretKeys are always secret in a state, wherever they appear.
var secretKeys = map[string]bool{"privateKey": true, "kubeconfig": true}

func handle[I, O any](r resource[I, O]) handler {
	return handler{
		check: func(m property.Map) ([]p.CheckFailure, error) {
			var in I
			if err := decode(m, &in); err != nil {
				return []p.CheckFailure{{Reason: err.Error()}}, nil
			}
			return nil, nil
		},
		create: func(ctx context.Context, req p.CreateRequest) (p.CreateResponse, error) {
			var in I
			if err := decode(req.Properties, &in); err != nil {
				return p.CreateResponse{}, err
			}
			res, err := r.Create(ctx, CreateRequest[I]{Name: req.Urn.Name(), Inputs: in, DryRun: req.DryRun})
			if err != nil {
				return p.CreateResponse{}, err
			}
			out, err := encode(res.Output, secretsOf(req.Properties))
			return p.CreateResponse{ID: res.ID, Properties: unknown(out, res.Unknown)}, err
		},
		read: func(ctx context.Context, req p.ReadRequest) (p.ReadResponse, error) {
			var in I
			var st O
			if err := decode(req.Properties, &st); err != nil {
				return p.ReadResponse{}, err
			}
			inputs := req.Inputs
			if inputs.Len() == 0 {
				inputs = req.Properties // an import: the state is all there is
			}
			if err := decode(inputs, &in); err != nil {
				return p.ReadResponse{}, err
			}
			res, err := r.Read(ctx, ReadRequest[I, O]{ID: req.ID, Inputs: in, State: st})
			if err != nil || res.ID == "" {
				return p.ReadResponse{}, err
			}
			secrets := secretsOf(req.Properties)
			props, err := encode(res.State, secrets)
			if err != nil {
				return p.ReadResponse{}, err
			}
			ins, err := encode(res.Inputs, secrets)
			return p.ReadResponse{ID: res.ID, Properties: props, Inputs: ins}, err
		},
		diff: func(ctx context.Context, req p.DiffRequest) (p.DiffResponse, error) {
			var in I
			var st O
			if err := decode(req.State, &st); err != nil {
				return p.DiffResponse{}, err
			}
			if err := decode(req.Inputs, &in); err != nil {
				return p.DiffResponse{}, err
			}
			return r.Diff(ctx, DiffRequest[I, O]{ID: req.ID, State: st, Inputs: in})
		},
		update: func(ctx context.Context, req p.UpdateRequest) (p.UpdateResponse, error) {
			var in I
			var st O
			if err := decode(req.State, &st); err != nil {
				return p.UpdateResponse{}, err
			}
			if err := decode(req.Inputs, &in); err != nil {
				return p.UpdateResponse{}, err
			}
			res, err := r.Update(ctx, UpdateRequest[I, O]{ID: req.ID, State: st, Inputs: in, DryRun: req.DryRun})
			if err != nil {
				return p.UpdateResponse{}, err
			}
			secrets := secretsOf(req.Inputs)
			for k := range secretsOf(req.State) {
				secrets[k] = true
			}
			out, err := encode(res.Output, secrets)
			return p.UpdateResponse{Properties: unknown(out, res.Unknown)}, err
		},
		delete: func(ctx context.Context, req p.DeleteRequest) error {
			var st O
			if err := decode(req.Properties, &st); err != nil {
				return err
			}
			_, err := r.Delete(ctx, DeleteRequest[O]{ID: req.ID, State: st})
			return err
		},
	}
}

// unknown marks keys of m computed: a preview's outputs that only the real operation learns.
func unknown(m property.Map, keys []string) property.Map {
	for _, k := range keys {
		m = m.Set(k, property.New(property.Computed))
	}
	return m
}

// decode turns a property map into a struct through its JSON form; secrets are unwrapped (and
// registered with the provider's redactor) and unknown values (previews) read as empty.
func decode(m property.Map, into any) error {
	learnSecrets(property.New(m), false)
	b, err := json.Marshal(plain(property.New(m)))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, into); err != nil {
		return fmt.Errorf("decoding the resource's properties: %w", err)
	}
	return nil
}

func plain(v property.Value) any {
	switch {
	case v.IsComputed() || v.IsNull():
		return nil
	case v.IsBool():
		return v.AsBool()
	case v.IsNumber():
		return v.AsNumber()
	case v.IsString():
		return v.AsString()
	case v.IsArray():
		var out []any
		for _, e := range v.AsArray().All {
			out = append(out, plain(e))
		}
		return out
	case v.IsMap():
		out := map[string]any{}
		for k, e := range v.AsMap().All {
			out[k] = plain(e)
		}
		return out
	}
	return nil
}

// secretsOf lists the keys that hold secrets anywhere in m, so that outputs keep them secret.
func secretsOf(m property.Map) map[string]bool {
	out := map[string]bool{}
	var walk func(k string, v property.Value)
	walk = func(k string, v property.Value) {
		if v.Secret() && k != "" {
			out[k] = true
		}
		switch {
		case v.IsMap():
			for k2, e := range v.AsMap().All {
				walk(k2, e)
			}
		case v.IsArray():
			for _, e := range v.AsArray().All {
				walk(k, e)
			}
		}
	}
	walk("", property.New(m))
	return out
}

// encode turns a struct into a property map through its JSON form, marking secret keys.
func encode(v any, secrets map[string]bool) (property.Map, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return property.Map{}, err
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return property.Map{}, err
	}
	return value(raw, secrets).AsMap(), nil
}

func value(v any, secrets map[string]bool) property.Value {
	switch v := v.(type) {
	case nil:
		return property.New(property.Null)
	case bool:
		return property.New(v)
	case float64:
		return property.New(v)
	case string:
		return property.New(v)
	case []any:
		vals := make([]property.Value, 0, len(v))
		for _, e := range v {
			vals = append(vals, value(e, secrets))
		}
		return property.New(vals)
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		m := map[string]property.Value{}
		for _, k := range keys {
			e := value(v[k], secrets)
			if secrets[k] || secretKeys[k] {
				e = e.WithSecret(true)
			}
			m[k] = e
		}
		return property.New(m)
	}
	return property.New(property.Null)
}
