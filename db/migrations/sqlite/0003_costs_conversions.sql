CREATE TABLE `model_prices` (
	`model` text PRIMARY KEY NOT NULL,
	`input` real DEFAULT 0 NOT NULL,
	`cached_input` real DEFAULT 0 NOT NULL,
	`cache_write` real DEFAULT 0 NOT NULL,
	`output` real DEFAULT 0 NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `groups` ADD `accepts_conversions` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `groups` ADD `price_multiplier` real DEFAULT 1 NOT NULL;--> statement-breakpoint
ALTER TABLE `hourly_stats` ADD `cost` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `proxy_keys` ADD `budget_cost` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `proxy_keys` ADD `ip_allowlist` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `request_id` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `cost` real DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `client_api` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `request_logs` ADD `channel_api` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE INDEX `request_logs_request` ON `request_logs` (`request_id`);