package meta

import (
	"fmt"
	"time"

	"gorm.io/gorm"
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
	err := db.replicate(Key(KindToken, jti), func(tx *gorm.DB) (any, error) {
		r := RevokedToken{JTI: jti, ExpiresAt: exp}
		return r, tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r).Error
	})
	if err != nil && !IsReplicaError(err) {
		return fmt.Errorf("cannot revoke token %q: %w", jti, err)
	}
	return err
}

// TokenRevoked reports whether jti was revoked.
func (db *DB) TokenRevoked(jti string) (bool, error) {
	var n int64
	if err := db.Gorm.Model(&RevokedToken{}).Where("jti = ?", jti).Count(&n).Error; err != nil {
		return false, fmt.Errorf("cannot check token %q: %w", jti, err)
	}
	return n > 0, nil
}

// PurgeRevokedTokens forgets revoked tokens that expired before now. In a
// cluster each is deleted from the replica too, best effort (another node
// may have purged it first).
func (db *DB) PurgeRevokedTokens(now time.Time) error {
	if db.rep != nil {
		var old []RevokedToken
		if err := db.Gorm.Where("expires_at < ?", now).Find(&old).Error; err != nil {
			return fmt.Errorf("cannot purge revoked tokens: %w", err)
		}
		for _, r := range old {
			_ = db.replicate(Key(KindToken, r.JTI), func(tx *gorm.DB) (any, error) {
				return nil, tx.Delete(&RevokedToken{}, "jti = ?", r.JTI).Error
			})
		}
	}
	if err := db.Gorm.Delete(&RevokedToken{}, "expires_at < ?", now).Error; err != nil {
		return fmt.Errorf("cannot purge revoked tokens: %w", err)
	}
	return nil
}
