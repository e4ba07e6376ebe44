package dev.kiln.spi.backend;

/**
 * Whether a backend can be opened on this machine, and if not, why.
 *
 * @param available true if {@link BackendProvider#open} is expected to succeed
 * @param reason why not (or a short note when available), shown in selection errors
 */
public record Availability(boolean available, String reason) {
  /** Available. */
  public static Availability yes() {
    return new Availability(true, "available");
  }

  /** Not available, because of {@code reason}. */
  public static Availability no(String reason) {
    return new Availability(false, reason);
  }
}
