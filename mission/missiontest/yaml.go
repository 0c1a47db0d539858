package missiontest

import "gopkg.in/yaml.v3"

func yamlMarshal(v any) (string, error) {
	raw, err := yaml.Marshal(v)
	return string(raw), err
}
