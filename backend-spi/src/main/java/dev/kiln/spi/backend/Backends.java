package dev.kiln.spi.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Finds and opens backends.
 *
 * <p>Selection order: an explicit name in code; else the system property {@code kiln.backend}; else
 * the environment variable {@code KILN_BACKEND}; else the available provider with the highest
 * priority. A name nobody provides, or a provider that is unavailable, is an error that lists what
 * was found and why each is unavailable.
 *
 * {@snippet :
 * try (Backend backend = Backends.open()) { // or Backends.open("nd4j")
 *   System.out.println(backend.name());
 * }
 * }
 */
public final class Backends {
  /** The system property that selects a backend by name. */
  public static final String PROPERTY = "kiln.backend";

  /** The environment variable that selects a backend by name. */
  public static final String ENVIRONMENT = "KILN_BACKEND";

  private static final Map<String, String> ARTIFACTS =
      Map.of("native", "dev.kiln:backend-native", "nd4j", "dev.kiln:backend-nd4j");

  private Backends() {}

  /** Every provider on the class path, highest priority first. */
  public static List<BackendProvider> providers() {
    List<BackendProvider> found = new ArrayList<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      found.add(p);
    }
    found.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
    return found;
  }

  /** Opens the backend that the property, the environment or priority selects. */
  public static Backend open() {
    return select(null, System.getProperty(PROPERTY), System.getenv(ENVIRONMENT), providers())
        .open(BackendOptions.defaults());
  }

  /** Opens the backend named {@code name}. */
  public static Backend open(String name) {
    return select(name, null, null, providers()).open(BackendOptions.defaults());
  }

  /**
   * The provider that selection picks, without opening it.
   *
   * @param explicit a name given in code, or null
   * @param property the value of {@code kiln.backend}, or null
   * @param environment the value of {@code KILN_BACKEND}, or null
   * @param found the providers to choose from
   * @throws BackendException if the named provider is absent or unavailable, or none is available
   */
  public static BackendProvider select(
      String explicit, String property, String environment, List<BackendProvider> found) {
    String name = firstNonBlank(explicit, property, environment);
    String source =
        explicit != null && !explicit.isBlank()
            ? "requested in code"
            : property != null && !property.isBlank()
                ? "selected by -D" + PROPERTY
                : "selected by " + ENVIRONMENT;
    if (name != null) {
      for (BackendProvider p : found) {
        if (p.name().equals(name)) {
          Availability a = p.availability();
          if (!a.available()) {
            throw new BackendException(
                "Backend '"
                    + name
                    + "' ("
                    + source
                    + ") is not available: "
                    + a.reason()
                    + ". "
                    + listing(found));
          }
          return p;
        }
      }
      String artifact = ARTIFACTS.get(name);
      throw new BackendException(
          "No backend named '"
              + name
              + "' ("
              + source
              + ") is on the class path. "
              + listing(found)
              + (artifact != null ? " Add the artifact " + artifact + " to use it." : ""));
    }
    List<BackendProvider> sorted = new ArrayList<>(found);
    sorted.sort(Comparator.comparingInt(BackendProvider::priority).reversed());
    for (BackendProvider p : sorted) {
      if (p.availability().available()) {
        return p;
      }
    }
    throw new BackendException(
        "No Kiln backend is available. "
            + listing(found)
            + " Add dev.kiln:backend-native (or dev.kiln:backend-nd4j) to the class path.");
  }

  private static String firstNonBlank(String... values) {
    for (String v : values) {
      if (v != null && !v.isBlank()) {
        return v.trim();
      }
    }
    return null;
  }

  private static String listing(List<BackendProvider> found) {
    if (found.isEmpty()) {
      return "Found no backends.";
    }
    StringBuilder b = new StringBuilder("Found: ");
    for (int i = 0; i < found.size(); i++) {
      BackendProvider p = found.get(i);
      Availability a = p.availability();
      b.append(i > 0 ? "; " : "")
          .append(p.name())
          .append(" (priority ")
          .append(p.priority())
          .append(", ")
          .append(a.available() ? "available" : "unavailable: " + a.reason())
          .append(')');
    }
    return b.append('.').toString();
  }
}
