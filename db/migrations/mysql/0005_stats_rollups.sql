CREATE TABLE `minute_stats` (
	`id` int AUTO_INCREMENT NOT NULL,
	`group_id` int NOT NULL,
	`model` varchar(255) NOT NULL,
	`proxy_key_id` int NOT NULL,
	`minute` bigint NOT NULL,
	`requests` int NOT NULL DEFAULT 0,
	`failures` int NOT NULL DEFAULT 0,
	`retries` int NOT NULL DEFAULT 0,
	`prompt_tokens` bigint NOT NULL DEFAULT 0,
	`completion_tokens` bigint NOT NULL DEFAULT 0,
	`cached_tokens` bigint NOT NULL DEFAULT 0,
	`cost` double NOT NULL DEFAULT 0,
	CONSTRAINT `minute_stats_id` PRIMARY KEY(`id`),
	CONSTRAINT `minute_stats_group_model_key_minute` UNIQUE(`group_id`,`model`,`proxy_key_id`,`minute`)
);
--> statement-breakpoint
CREATE TABLE `proxy_key_stats` (
	`id` int AUTO_INCREMENT NOT NULL,
	`proxy_key_id` int NOT NULL,
	`hour` bigint NOT NULL,
	`requests` int NOT NULL DEFAULT 0,
	`failures` int NOT NULL DEFAULT 0,
	`retries` int NOT NULL DEFAULT 0,
	`prompt_tokens` bigint NOT NULL DEFAULT 0,
	`completion_tokens` bigint NOT NULL DEFAULT 0,
	`cached_tokens` bigint NOT NULL DEFAULT 0,
	`cost` double NOT NULL DEFAULT 0,
	CONSTRAINT `proxy_key_stats_id` PRIMARY KEY(`id`),
	CONSTRAINT `proxy_key_stats_key_hour` UNIQUE(`proxy_key_id`,`hour`)
);
--> statement-breakpoint
ALTER TABLE `hourly_stats` ADD `retries` int DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `minute_stats_minute` ON `minute_stats` (`minute`);--> statement-breakpoint
CREATE INDEX `proxy_key_stats_hour` ON `proxy_key_stats` (`hour`);--> statement-breakpoint
CREATE INDEX `request_logs_type_time` ON `request_logs` (`type`,`time`);--> statement-breakpoint
INSERT INTO `proxy_key_stats` (`proxy_key_id`, `hour`, `requests`, `failures`, `retries`, `prompt_tokens`, `completion_tokens`, `cached_tokens`, `cost`)
  SELECT coalesce(`proxy_key_id`, 0), `time` - `time` % 3600000, sum(`type` = 'final'), sum(`type` = 'final' AND NOT `success`), sum(`type` = 'retry'),
    sum(`prompt_tokens`), sum(`completion_tokens`), sum(`cached_tokens`), sum(`cost`)
  FROM `request_logs` GROUP BY 1, 2;--> statement-breakpoint
INSERT INTO `minute_stats` (`group_id`, `model`, `proxy_key_id`, `minute`, `requests`, `failures`, `retries`, `prompt_tokens`, `completion_tokens`, `cached_tokens`, `cost`)
  SELECT coalesce(`group_id`, 0), `model`, coalesce(`proxy_key_id`, 0), `time` - `time` % 60000, sum(`type` = 'final'), sum(`type` = 'final' AND NOT `success`),
    sum(`type` = 'retry'), sum(`prompt_tokens`), sum(`completion_tokens`), sum(`cached_tokens`), sum(`cost`)
  FROM `request_logs` WHERE `time` >= UNIX_TIMESTAMP() * 1000 - 10800000 GROUP BY 1, 2, 3, 4;--> statement-breakpoint
INSERT INTO `hourly_stats` (`group_id`, `model`, `hour`, `retries`)
  SELECT `group_id`, `model`, `time` - `time` % 3600000, count(*) FROM `request_logs` WHERE `type` = 'retry' AND `group_id` IS NOT NULL GROUP BY 1, 2, 3
  ON DUPLICATE KEY UPDATE `retries` = VALUES(`retries`);
