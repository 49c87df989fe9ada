CREATE TABLE `api_keys` (
	`id` int AUTO_INCREMENT NOT NULL,
	`group_id` int NOT NULL,
	`key_hash` varchar(64) NOT NULL,
	`key_ciphertext` text NOT NULL,
	`status` varchar(16) NOT NULL DEFAULT 'active',
	`notes` varchar(1000) NOT NULL DEFAULT '',
	`request_count` int NOT NULL DEFAULT 0,
	`failure_count` int NOT NULL DEFAULT 0,
	`consecutive_failures` int NOT NULL DEFAULT 0,
	`cooldown_until` bigint,
	`last_error` text,
	`last_used_at` bigint,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `api_keys_id` PRIMARY KEY(`id`),
	CONSTRAINT `api_keys_group_hash` UNIQUE(`group_id`,`key_hash`)
);
--> statement-breakpoint
CREATE TABLE `group_sub_groups` (
	`id` int AUTO_INCREMENT NOT NULL,
	`group_id` int NOT NULL,
	`sub_group_id` int NOT NULL,
	`weight` int NOT NULL DEFAULT 1,
	CONSTRAINT `group_sub_groups_id` PRIMARY KEY(`id`),
	CONSTRAINT `group_sub_groups_pair` UNIQUE(`group_id`,`sub_group_id`)
);
--> statement-breakpoint
CREATE TABLE `groups` (
	`id` int AUTO_INCREMENT NOT NULL,
	`name` varchar(100) NOT NULL,
	`display_name` varchar(255) NOT NULL DEFAULT '',
	`description` varchar(2000) NOT NULL DEFAULT '',
	`type` varchar(16) NOT NULL DEFAULT 'standard',
	`channel` varchar(32) NOT NULL,
	`upstreams` longtext NOT NULL,
	`test_model` varchar(255) NOT NULL DEFAULT '',
	`validation_path` varchar(500) NOT NULL DEFAULT '',
	`models` longtext NOT NULL,
	`priority` int NOT NULL DEFAULT 0,
	`model_redirects` longtext NOT NULL,
	`model_redirect_strict` boolean NOT NULL DEFAULT false,
	`param_overrides` longtext NOT NULL,
	`header_rules` longtext NOT NULL,
	`config` longtext NOT NULL,
	`enabled` boolean NOT NULL DEFAULT true,
	`sort` int NOT NULL DEFAULT 0,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `groups_id` PRIMARY KEY(`id`),
	CONSTRAINT `groups_name_unique` UNIQUE(`name`)
);
--> statement-breakpoint
CREATE TABLE `hourly_stats` (
	`id` int AUTO_INCREMENT NOT NULL,
	`group_id` int NOT NULL,
	`model` varchar(255) NOT NULL,
	`hour` bigint NOT NULL,
	`requests` int NOT NULL DEFAULT 0,
	`failures` int NOT NULL DEFAULT 0,
	`prompt_tokens` bigint NOT NULL DEFAULT 0,
	`completion_tokens` bigint NOT NULL DEFAULT 0,
	`cached_tokens` bigint NOT NULL DEFAULT 0,
	CONSTRAINT `hourly_stats_id` PRIMARY KEY(`id`),
	CONSTRAINT `hourly_stats_group_model_hour` UNIQUE(`group_id`,`model`,`hour`)
);
--> statement-breakpoint
CREATE TABLE `proxy_keys` (
	`id` int AUTO_INCREMENT NOT NULL,
	`name` varchar(255) NOT NULL,
	`key_hash` varchar(64) NOT NULL,
	`masked` varchar(64) NOT NULL,
	`group_ids` longtext NOT NULL,
	`models` longtext NOT NULL,
	`rpm` int NOT NULL DEFAULT 0,
	`tpm` int NOT NULL DEFAULT 0,
	`max_concurrency` int NOT NULL DEFAULT 0,
	`budget_tokens` bigint NOT NULL DEFAULT 0,
	`budget_period` varchar(16) NOT NULL DEFAULT 'none',
	`expires_at` bigint,
	`enabled` boolean NOT NULL DEFAULT true,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `proxy_keys_id` PRIMARY KEY(`id`),
	CONSTRAINT `proxy_keys_key_hash_unique` UNIQUE(`key_hash`)
);
--> statement-breakpoint
CREATE TABLE `request_logs` (
	`id` varchar(32) NOT NULL,
	`time` bigint NOT NULL,
	`group_id` int,
	`group_name` varchar(100) NOT NULL DEFAULT '',
	`parent_group_id` int,
	`key_id` int,
	`key_masked` varchar(64) NOT NULL DEFAULT '',
	`proxy_key_id` int,
	`model` varchar(255) NOT NULL DEFAULT '',
	`upstream_model` varchar(255) NOT NULL DEFAULT '',
	`path` varchar(1000) NOT NULL DEFAULT '',
	`upstream` varchar(500) NOT NULL DEFAULT '',
	`status` int NOT NULL,
	`success` boolean NOT NULL,
	`type` varchar(8) NOT NULL,
	`stream` boolean NOT NULL DEFAULT false,
	`duration_ms` int NOT NULL DEFAULT 0,
	`ttft_ms` int,
	`prompt_tokens` int NOT NULL DEFAULT 0,
	`completion_tokens` int NOT NULL DEFAULT 0,
	`cached_tokens` int NOT NULL DEFAULT 0,
	`error` text,
	`ip` varchar(64) NOT NULL DEFAULT '',
	`user_agent` varchar(500) NOT NULL DEFAULT '',
	`request_body` text,
	`response_body` text,
	CONSTRAINT `request_logs_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` varchar(100) NOT NULL,
	`value` longtext NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `settings_key` PRIMARY KEY(`key`)
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`id` varchar(40) NOT NULL,
	`type` varchar(40) NOT NULL,
	`group_id` int,
	`state` varchar(16) NOT NULL,
	`processed` int NOT NULL DEFAULT 0,
	`total` int NOT NULL DEFAULT 0,
	`result` longtext,
	`error` text,
	`instance_id` varchar(64) NOT NULL,
	`created_at` bigint NOT NULL,
	`updated_at` bigint NOT NULL,
	CONSTRAINT `tasks_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
ALTER TABLE `api_keys` ADD CONSTRAINT `api_keys_group_id_groups_id_fk` FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `group_sub_groups` ADD CONSTRAINT `group_sub_groups_group_id_groups_id_fk` FOREIGN KEY (`group_id`) REFERENCES `groups`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE `group_sub_groups` ADD CONSTRAINT `group_sub_groups_sub_group_id_groups_id_fk` FOREIGN KEY (`sub_group_id`) REFERENCES `groups`(`id`) ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX `api_keys_group_status` ON `api_keys` (`group_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `group_sub_groups_sub` ON `group_sub_groups` (`sub_group_id`);--> statement-breakpoint
CREATE INDEX `hourly_stats_hour` ON `hourly_stats` (`hour`);--> statement-breakpoint
CREATE INDEX `request_logs_time` ON `request_logs` (`time`);--> statement-breakpoint
CREATE INDEX `request_logs_group_time` ON `request_logs` (`group_id`,`time`);--> statement-breakpoint
CREATE INDEX `request_logs_key_time` ON `request_logs` (`key_id`,`time`);--> statement-breakpoint
CREATE INDEX `tasks_state` ON `tasks` (`state`);