package main

import (
	"bytes"
	"encoding/json"
	"fmt"

	"gopkg.in/yaml.v3"
)

// Output formats of --output.
const (
	outputText = "text"
	outputJSON = "json"
	outputYAML = "yaml"
)

var outputFormats = []string{outputText, outputJSON, outputYAML}

func validOutput(format string) bool {
	for _, f := range outputFormats {
		if f == format {
			return true
		}
	}
	return false
}

// structured reports whether the user asked for machine-readable output (json or yaml).
func (a *app) structured() bool { return a.s.Output == outputJSON || a.s.Output == outputYAML }

// print writes v to stdout as YAML with --output yaml, else as indented JSON.
func (a *app) print(v any) error {
	if a.s.Output == outputYAML {
		return writeYAML(a, v)
	}
	enc := json.NewEncoder(a.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// json and printJSON are the names commands used before YAML output existed; they mean
// structured and print.
func (a *app) json() bool { return a.structured() }

func (a *app) printJSON(v any) error { return a.print(v) }

// writeYAML writes v as YAML with the same field names and order as its JSON: v goes through its
// JSON encoding (its json tags and MarshalJSON methods decide), which YAML reads as a node tree.
func writeYAML(a *app, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the output: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return fmt.Errorf("encoding the output as YAML: %w", err)
	}
	plainStyle(&doc)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encoding the output as YAML: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encoding the output as YAML: %w", err)
	}
	_, err = a.out.Write(buf.Bytes())
	return err
}

// plainStyle drops the JSON styles (flow collections, double quotes) so that the YAML reads as YAML;
// the encoder still quotes every string that would otherwise read as another type.
func plainStyle(n *yaml.Node) {
	n.Style = 0
	for _, c := range n.Content {
		plainStyle(c)
	}
}
