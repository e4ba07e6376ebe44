package dev.kiln.spi.backend;

import java.util.Map;

/**
 * Settings passed to {@link BackendProvider#open}: free-form {@code key=value} pairs that each
 * backend documents (thread counts, device choice).
 *
 * @param settings the pairs
 */
public record BackendOptions(Map<String, String> settings) {
  /** Copies the map. */
  public BackendOptions {
    settings = Map.copyOf(settings);
  }

  /** No settings. */
  public static BackendOptions defaults() {
    return new BackendOptions(Map.of());
  }

  /** One setting, or {@code fallback} when absent. */
  public String get(String key, String fallback) {
    return settings.getOrDefault(key, fallback);
  }
}
