CREATE TABLE `api_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`key_hash` text NOT NULL,
	`key_ciphertext` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`notes` text DEFAULT '' NOT NULL,
	`request_count` integer DEFAULT 0 NOT NULL,
	`failure_count` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`cooldown_until` integer,
	`last_error` text,
	`last_used_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_group_hash` ON `api_keys` (`group_id`,`key_hash`);--> statement-breakpoint
CREATE INDEX `api_keys_group_status` ON `api_keys` (`group_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `group_sub_groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`sub_group_id` integer NOT NULL,
	`weight` integer DEFAULT 1 NOT NULL,
	FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`sub_group_id`) REFERENCES `groups`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `group_sub_groups_pair` ON `group_sub_groups` (`group_id`,`sub_group_id`);--> statement-breakpoint
CREATE INDEX `group_sub_groups_sub` ON `group_sub_groups` (`sub_group_id`);--> statement-breakpoint
CREATE TABLE `groups` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`display_name` text DEFAULT '' NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`type` text DEFAULT 'standard' NOT NULL,
	`channel` text NOT NULL,
	`upstreams` text NOT NULL,
	`test_model` text DEFAULT '' NOT NULL,
	`validation_path` text DEFAULT '' NOT NULL,
	`models` text NOT NULL,
	`priority` integer DEFAULT 0 NOT NULL,
	`model_redirects` text NOT NULL,
	`model_redirect_strict` integer DEFAULT false NOT NULL,
	`param_overrides` text NOT NULL,
	`header_rules` text NOT NULL,
	`config` text NOT NULL,
	`enabled` integer DEFAULT true NOT NULL,
	`sort` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `groups_name_unique` ON `groups` (`name`);--> statement-breakpoint
CREATE TABLE `hourly_stats` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`group_id` integer NOT NULL,
	`model` text NOT NULL,
	`hour` integer NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`prompt_tokens` integer DEFAULT 0 NOT NULL,
	`completion_tokens` integer DEFAULT 0 NOT NULL,
	`cached_tokens` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hourly_stats_group_model_hour` ON `hourly_stats` (`group_id`,`model`,`hour`);--> statement-breakpoint
CREATE INDEX `hourly_stats_hour` ON `hourly_stats` (`hour`);--> statement-breakpoint
CREATE TABLE `proxy_keys` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`masked` text NOT NULL,
	`group_ids` text NOT NULL,
	`models` text NOT NULL,
	`rpm` integer DEFAULT 0 NOT NULL,
	`tpm` integer DEFAULT 0 NOT NULL,
	`max_concurrency` integer DEFAULT 0 NOT NULL,
	`budget_tokens` integer DEFAULT 0 NOT NULL,
	`budget_period` text DEFAULT 'none' NOT NULL,
	`expires_at` integer,
	`enabled` integer DEFAULT true NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `proxy_keys_key_hash_unique` ON `proxy_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `request_logs` (
	`id` text PRIMARY KEY NOT NULL,
	`time` integer NOT NULL,
	`group_id` integer,
	`group_name` text DEFAULT '' NOT NULL,
	`parent_group_id` integer,
	`key_id` integer,
	`key_masked` text DEFAULT '' NOT NULL,
	`proxy_key_id` integer,
	`model` text DEFAULT '' NOT NULL,
	`upstream_model` text DEFAULT '' NOT NULL,
	`path` text DEFAULT '' NOT NULL,
	`upstream` text DEFAULT '' NOT NULL,
	`status` integer NOT NULL,
	`success` integer NOT NULL,
	`type` text NOT NULL,
	`stream` integer DEFAULT false NOT NULL,
	`duration_ms` integer DEFAULT 0 NOT NULL,
	`ttft_ms` integer,
	`prompt_tokens` integer DEFAULT 0 NOT NULL,
	`completion_tokens` integer DEFAULT 0 NOT NULL,
	`cached_tokens` integer DEFAULT 0 NOT NULL,
	`error` text,
	`ip` text DEFAULT '' NOT NULL,
	`user_agent` text DEFAULT '' NOT NULL,
	`request_body` text,
	`response_body` text
);
--> statement-breakpoint
CREATE INDEX `request_logs_time` ON `request_logs` (`time`);--> statement-breakpoint
CREATE INDEX `request_logs_group_time` ON `request_logs` (`group_id`,`time`);--> statement-breakpoint
CREATE INDEX `request_logs_key_time` ON `request_logs` (`key_id`,`time`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`group_id` integer,
	`state` text NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`result` text,
	`error` text,
	`instance_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `tasks_state` ON `tasks` (`state`);