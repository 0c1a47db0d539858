package auth

import (
	"crypto/subtle"

	"golang.org/x/crypto/bcrypt"

	"github.com/orbos/orbos/mission/config"
)

// dummyHash is compared when the user name is wrong, so that a wrong name costs as long as a wrong
// password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.MinCost)

// CheckAdmin reports whether user and password are the local admin's.
func CheckAdmin(a *config.Admin, user, password string) bool {
	if a == nil {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return false
	}
	nameOK := subtle.ConstantTimeCompare([]byte(user), []byte(a.User)) == 1
	hash := []byte(a.PasswordHash)
	if !nameOK {
		hash = dummyHash
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil && nameOK
}
