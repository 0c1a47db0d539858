package record

// Annotation is the value of the annotation key on the first resource of type typ that carries it
// in the state's outputs, "" when none does.
func (c Checkpoint) Annotation(typ, key string) string {
	if c.DeploymentV3 == nil {
		return ""
	}
	for _, r := range c.DeploymentV3.Resources {
		if string(r.Type) != typ {
			continue
		}
		meta, _ := r.Outputs["metadata"].(map[string]any)
		annotations, _ := meta["annotations"].(map[string]any)
		if v, ok := annotations[key].(string); ok && v != "" {
			return v
		}
	}
	return ""
}
