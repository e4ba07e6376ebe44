package dev.kiln.spi.backend;

/**
 * Finds and opens one backend; registered for {@link java.util.ServiceLoader} in {@code
 * META-INF/services/dev.kiln.spi.backend.BackendProvider}.
 *
 * <p>Discovery has no side effects: constructing a provider, {@link #name}, {@link #priority} and
 * {@link #availability} load no native code and touch no network. Only {@link #open} does real
 * work.
 */
public interface BackendProvider {
  /** The backend's name, as users select it ({@code native}, {@code nd4j}). */
  String name();

  /** Higher wins when nothing selects a backend by name. */
  int priority();

  /** Whether {@link #open} can work here, with the reason when it cannot. */
  Availability availability();

  /**
   * Opens the backend.
   *
   * @throws BackendException if it cannot be opened; the message says why
   */
  Backend open(BackendOptions options);
}
