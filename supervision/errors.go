package supervision

import "errors"

// ErrInvalidPolicy: a Restart policy that cannot be used (Restart.Validate
// says which field and why).
var ErrInvalidPolicy = errors.New("supervision: invalid restart policy")
