package meta

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

func init() {
	register(&AlertChannelRecord{}, &AlertRuleRecord{}, &AlertRecord{}, &AlertDeliveryRecord{})
}

// AlertChannelRecord is one alert channel (webhook, telegram, email). Config
// is its JSON configuration, secrets included; the API never returns it.
type AlertChannelRecord struct {
	Name      string `gorm:"primaryKey"`
	Type      string
	Enabled   bool
	Config    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AlertRuleRecord is one alert rule; Spec is its JSON definition.
type AlertRuleRecord struct {
	Name      string `gorm:"primaryKey"`
	Spec      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// AlertRecord is one fired alert; Rows is the JSON of its sample rows.
type AlertRecord struct {
	ID      int64     `gorm:"primaryKey;autoIncrement"`
	Time    time.Time `gorm:"index"`
	Rule    string    `gorm:"index"`
	Engine  string    `gorm:"index"`
	Group   string    `gorm:"column:grp"`
	Count   int
	WindowS int
	Rows    string
	Link    string
}

// AlertDeliveryRecord is one delivery attempt of an alert to a channel.
type AlertDeliveryRecord struct {
	ID         int64 `gorm:"primaryKey;autoIncrement"`
	Time       time.Time
	Channel    string `gorm:"index:idx_alert_delivery_channel"`
	Rule       string
	AlertID    int64 `gorm:"index"`
	Attempt    int
	Status     string
	HTTPStatus int
	Error      string
}

// MaxDeliveriesPerChannel is how many delivery attempts a channel keeps.
const MaxDeliveriesPerChannel = 1000

// MaxAlerts is how many fired alerts the history keeps.
const MaxAlerts = 10000

// AlertChannels returns every channel, ordered by name.
func (db *DB) AlertChannels() ([]AlertChannelRecord, error) {
	var out []AlertChannelRecord
	if err := db.Gorm.Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list alert channels: %w", err)
	}
	return out, nil
}

// SaveAlertChannel creates or replaces a channel.
func (db *DB) SaveAlertChannel(r AlertChannelRecord) error {
	if err := db.Gorm.Save(&r).Error; err != nil {
		return fmt.Errorf("cannot save alert channel %q: %w", r.Name, err)
	}
	return nil
}

// DeleteAlertChannel removes a channel and its delivery records.
func (db *DB) DeleteAlertChannel(name string) error {
	err := db.Gorm.Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("name = ?", name).Delete(&AlertChannelRecord{}).Error; err != nil {
			return err
		}
		return tx.Where("channel = ?", name).Delete(&AlertDeliveryRecord{}).Error
	})
	if err != nil {
		return fmt.Errorf("cannot delete alert channel %q: %w", name, err)
	}
	return nil
}

// AlertRules returns every rule, ordered by name.
func (db *DB) AlertRules() ([]AlertRuleRecord, error) {
	var out []AlertRuleRecord
	if err := db.Gorm.Order("name").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list alert rules: %w", err)
	}
	return out, nil
}

// SaveAlertRule creates or replaces a rule.
func (db *DB) SaveAlertRule(r AlertRuleRecord) error {
	if err := db.Gorm.Save(&r).Error; err != nil {
		return fmt.Errorf("cannot save alert rule %q: %w", r.Name, err)
	}
	return nil
}

// DeleteAlertRule removes a rule (its history stays).
func (db *DB) DeleteAlertRule(name string) error {
	if err := db.Gorm.Where("name = ?", name).Delete(&AlertRuleRecord{}).Error; err != nil {
		return fmt.Errorf("cannot delete alert rule %q: %w", name, err)
	}
	return nil
}

// AddAlert stores a fired alert (setting its ID) and drops the oldest past MaxAlerts.
func (db *DB) AddAlert(a *AlertRecord) error {
	if err := db.Gorm.Create(a).Error; err != nil {
		return fmt.Errorf("cannot save alert of rule %q: %w", a.Rule, err)
	}
	if a.ID > MaxAlerts && a.ID%100 == 0 {
		if err := db.Gorm.Where("id <= ?", a.ID-MaxAlerts).Delete(&AlertRecord{}).Error; err != nil {
			return fmt.Errorf("cannot trim the alert history: %w", err)
		}
	}
	return nil
}

// AlertFilter selects alerts of the history.
type AlertFilter struct {
	Rule, Engine string
	Limit        int
}

// Alerts returns fired alerts, newest first.
func (db *DB) Alerts(f AlertFilter) ([]AlertRecord, error) {
	q := db.Gorm.Order("id DESC").Limit(f.Limit)
	if f.Rule != "" {
		q = q.Where("rule = ?", f.Rule)
	}
	if f.Engine != "" {
		q = q.Where("engine = ?", f.Engine)
	}
	var out []AlertRecord
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list alerts: %w", err)
	}
	return out, nil
}

// AddAlertDelivery records one delivery attempt and keeps the channel's last
// MaxDeliveriesPerChannel.
func (db *DB) AddAlertDelivery(d *AlertDeliveryRecord) error {
	if err := db.Gorm.Create(d).Error; err != nil {
		return fmt.Errorf("cannot record a delivery to channel %q: %w", d.Channel, err)
	}
	var cut AlertDeliveryRecord
	err := db.Gorm.Where("channel = ?", d.Channel).Order("id DESC").Offset(MaxDeliveriesPerChannel).Limit(1).Take(&cut).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("cannot trim the deliveries of channel %q: %w", d.Channel, err)
	}
	if err := db.Gorm.Where("channel = ? AND id <= ?", d.Channel, cut.ID).Delete(&AlertDeliveryRecord{}).Error; err != nil {
		return fmt.Errorf("cannot trim the deliveries of channel %q: %w", d.Channel, err)
	}
	return nil
}

// AlertDeliveries returns up to limit delivery attempts of a channel, newest first.
func (db *DB) AlertDeliveries(channel string, limit int) ([]AlertDeliveryRecord, error) {
	var out []AlertDeliveryRecord
	if err := db.Gorm.Where("channel = ?", channel).Order("id DESC").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list the deliveries of channel %q: %w", channel, err)
	}
	return out, nil
}

// DeliveriesOfAlerts returns every recorded attempt of the alerts ids, oldest first.
func (db *DB) DeliveriesOfAlerts(ids []int64) ([]AlertDeliveryRecord, error) {
	var out []AlertDeliveryRecord
	if len(ids) == 0 {
		return nil, nil
	}
	if err := db.Gorm.Where("alert_id IN ?", ids).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("cannot list deliveries of alerts: %w", err)
	}
	return out, nil
}
