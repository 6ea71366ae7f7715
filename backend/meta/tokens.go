package meta

import (
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

func init() { register(&RevokedToken{}) }

// RevokedToken is the id (jti) of a token revoked by logout before its expiry.
type RevokedToken struct {
	JTI       string `gorm:"primaryKey"`
	ExpiresAt time.Time
}

// RevokeToken records jti as revoked until exp (a token past exp is refused anyway).
func (db *DB) RevokeToken(jti string, exp time.Time) error {
	err := db.Gorm.Clauses(clause.OnConflict{DoNothing: true}).Create(&RevokedToken{JTI: jti, ExpiresAt: exp}).Error
	if err != nil {
		return fmt.Errorf("cannot revoke token %q: %w", jti, err)
	}
	return nil
}

// TokenRevoked reports whether jti was revoked.
func (db *DB) TokenRevoked(jti string) (bool, error) {
	var n int64
	if err := db.Gorm.Model(&RevokedToken{}).Where("jti = ?", jti).Count(&n).Error; err != nil {
		return false, fmt.Errorf("cannot check token %q: %w", jti, err)
	}
	return n > 0, nil
}

// PurgeRevokedTokens forgets revoked tokens that expired before now.
func (db *DB) PurgeRevokedTokens(now time.Time) error {
	if err := db.Gorm.Delete(&RevokedToken{}, "expires_at < ?", now).Error; err != nil {
		return fmt.Errorf("cannot purge revoked tokens: %w", err)
	}
	return nil
}
