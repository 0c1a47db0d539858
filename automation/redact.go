package automation

import "github.com/orbos/orbos/internal/redact"

// Redactor replaces known secret values by "[secret]" in text orbos prints or stores.
type Redactor = redact.Redactor
