package stacks

// CollectorTool is the log collector's name in orbos:boom.tools; LogsTool is the tool it ships to.
const (
	CollectorTool = "logs-collector"
	LogsTool      = "logs"
)

// checkCollector refuses a log collector with nowhere to ship: orbos renders its configuration
// to send everything to the logs tool's Loki, so that tool must be on too.
func (b *Boom) checkCollector(p string, e *errs) {
	c, ok := b.Tools[CollectorTool]
	if !ok || !c.Enabled {
		return
	}
	if l, ok := b.Tools[LogsTool]; !ok || !l.Enabled {
		e.add(join(p+".tools", CollectorTool)+".enabled", nil, "the log collector ships to the logs tool's Loki: enable tools.%s too", LogsTool)
	}
}
