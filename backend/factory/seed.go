package factory

// MikrotikPatterns is the seeded example class (README), seeded on first start.
var MikrotikPatterns = map[string]string{
	"pppoe":           `in:<pppoe-([A-Za-z\d]+)>`,
	"router_identity": `\d{1,2}:\d{1,2}:\d{1,2}\s+(\w+)`,
	"destination_ip":  `->(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}:\d+)`,
}

// MikrotikKeys is the column order of the seeded class.
var MikrotikKeys = []string{"pppoe", "router_identity", "destination_ip"}

// Seed creates the example class "mikrotik" (when absent) and, when demo is true,
// the engine "demo" on UDP 127.0.0.1:5514. It is called on a first start only.
func (f *Factory) Seed(demo bool) error {
	f.mu.Lock()
	_, haveClass := f.classes["mikrotik"]
	_, haveDemo := f.engines["demo"]
	f.mu.Unlock()
	if !haveClass {
		if err := f.CreateClass("mikrotik", MikrotikPatterns, MikrotikKeys); err != nil {
			return err
		}
	}
	if demo && !haveDemo {
		s := f.DefaultSpec()
		s.Name, s.Class, s.Bind, s.Port, s.RetentionDays = "demo", "mikrotik", "127.0.0.1", 5514, 7
		if err := f.CreateEngine(s); err != nil {
			// A taken port must not stop the first start: keep the engine, failed.
			if fe, ok := err.(*Error); ok && fe.Kind == Conflict && fe.Field == "port" {
				s.Enabled = false
				f.cfg.Log.Warn("demo engine not started: UDP 5514 is in use")
				return f.CreateEngine(s)
			}
			return err
		}
	}
	return nil
}
