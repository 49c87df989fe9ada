CREATE TABLE `model_prices` (
	`model` varchar(255) NOT NULL,
	`input` double NOT NULL DEFAULT 0,
	`cached_input` double NOT NULL DEFAULT 0,
	`cache_write` double NOT NULL DEFAULT 0,
	`output` double NOT NULL DEFAULT 0,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `model_prices_model` PRIMARY KEY(`model`)
);
--> statement-breakpoint
ALTER TABLE `groups` ADD `accepts_conversions` boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `groups` ADD `price_multiplier` double DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `hourly_stats` ADD `cost` double DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `proxy_keys` ADD `budget_cost` double DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `proxy_keys` ADD `ip_allowlist` longtext DEFAULT ('[]') NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `request_id` varchar(32) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `cost` double DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `client_api` varchar(32) DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `channel_api` varchar(32) DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `request_logs_request` ON `request_logs` (`request_id`);