/**
 * The cache's settings, resolved from the dotfile: the top-level `cache` block,
 * then the account's own `cache` block over it (docs/configuration.md).
 */
import type { AccountConfig, CacheConfig, TmailConfig } from '../config/types.js';

export interface CacheSettings {
  /** False: nothing is stored or read locally. */
  enabled: boolean;
  /** Size cap of one account's store in bytes; least recently used bodies go first. */
  maxBytes: number;
  /** Bodies of the newest N messages per folder fetched in the background (0: only those read). */
  prefetchBodies: number;
  /** Attachments larger than this (bytes) are never kept. */
  attachmentMaxBytes: number;
}

const MB = 1024 * 1024;

/** On, 500 MB per account, no background body fetches, attachments up to 10 MB. */
export const DEFAULT_CACHE_SETTINGS: CacheSettings = {
  enabled: true,
  maxBytes: 500 * MB,
  prefetchBodies: 0,
  attachmentMaxBytes: 10 * MB,
};

function apply(settings: CacheSettings, block: CacheConfig | undefined): CacheSettings {
  if (!block) return settings;
  const next = { ...settings };
  if (block.enabled !== undefined) next.enabled = block.enabled;
  if (block.maxSizeMB !== undefined) next.maxBytes = block.maxSizeMB * MB;
  if (block.prefetchBodies !== undefined) next.prefetchBodies = block.prefetchBodies;
  if (block.attachmentMaxMB !== undefined) next.attachmentMaxBytes = block.attachmentMaxMB * MB;
  return next;
}

/** The settings for one account: defaults, the dotfile's `cache`, the account's `cache`. */
export function cacheSettings(
  config: Pick<TmailConfig, 'cache'> | undefined,
  account: Pick<AccountConfig, 'cache'> | undefined,
): CacheSettings {
  return apply(apply(DEFAULT_CACHE_SETTINGS, config?.cache), account?.cache);
}
