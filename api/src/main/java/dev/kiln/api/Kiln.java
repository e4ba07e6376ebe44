package dev.kiln.api;

import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.Backends;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Process-wide state of the api: the backend that models run on, the random seed, the default dtype
 * policy of new layers, and the counters that give layers their Keras names ({@code dense}, {@code
 * dense_1}, ...).
 *
 * {@snippet :
 * Kiln.setRandomSeed(42); // same weights, same dropout masks, same shuffles, run after run
 * }
 */
public final class Kiln {
  private static Backend backend;
  private static SplittableRandom random = new SplittableRandom(System.nanoTime());
  private static final Map<String, Integer> NAMES = new HashMap<>();
  private static DTypePolicy dtypePolicy = DTypePolicy.FLOAT32;

  private Kiln() {}

  /**
   * The backend all models use, opened on first use by {@link Backends#open()} (the {@code
   * kiln.backend} property, the {@code KILN_BACKEND} variable, else the highest priority).
   */
  public static synchronized Backend backend() {
    if (backend == null) {
      backend = Backends.open();
    }
    return backend;
  }

  /** Makes {@code b} the backend of models built from now on. */
  public static synchronized void useBackend(Backend b) {
    backend = b;
  }

  /**
   * Makes {@code policy} the default dtype policy of layers made from now on, as Keras's {@code
   * keras.config.set_dtype_policy} (and {@code keras.mixed_precision.set_global_policy}). Layers
   * made before keep theirs.
   *
   * {@snippet :
   * Kiln.setDtypePolicy(DTypePolicy.MIXED_BFLOAT16);
   * }
   */
  public static synchronized void setDtypePolicy(DTypePolicy policy) {
    if (policy == null) {
      throw new IllegalArgumentException("the global dtype policy must not be null");
    }
    dtypePolicy = policy;
  }

  /**
   * {@link #setDtypePolicy(DTypePolicy)} by name ({@code "mixed_float16"}).
   *
   * @throws dev.kiln.api.registry.ArgumentException for an unknown name, listing the valid ones
   */
  public static void setDtypePolicy(String name) {
    setDtypePolicy(DTypePolicy.of(name, "the global dtype policy"));
  }

  /** The default dtype policy of new layers ({@code float32} unless set). */
  public static synchronized DTypePolicy dtypePolicy() {
    return dtypePolicy;
  }

  /**
   * Seeds every random choice the api makes: initializers, dropout, shuffling. As Keras's {@code
   * keras.utils.set_random_seed}.
   */
  public static synchronized void setRandomSeed(long seed) {
    random = new SplittableRandom(seed);
  }

  /** A new random stream split off the global one. */
  public static synchronized SplittableRandom splitRandom() {
    return random.split();
  }

  /** A fresh 64-bit seed from the global stream. */
  public static synchronized long nextSeed() {
    return random.nextLong();
  }

  /**
   * A name unique in this session: {@code prefix}, then {@code prefix_1}, {@code prefix_2}, ... As
   * Keras 3's automatic names, one counter per prefix, counting only the objects named this way.
   */
  public static synchronized String uniqueName(String prefix) {
    int n = NAMES.merge(prefix, 1, Integer::sum) - 1;
    return n == 0 ? prefix : prefix + "_" + n;
  }

  /**
   * Gives back {@code name}, which {@link #uniqueName} gave for {@code prefix}, when it was the
   * last one given for that prefix; otherwise does nothing. A layer given a name of its own right
   * after it was made (as every layer made with a name is) so leaves the counter as it was: in
   * Keras 3 only automatically named objects count ({@code Dense(4, name="head")} then {@code
   * Dense(2)} is {@code dense}).
   */
  public static synchronized void releaseName(String prefix, String name) {
    Integer count = NAMES.get(prefix);
    if (count == null) {
      return;
    }
    int last = count - 1;
    if (name.equals(last == 0 ? prefix : prefix + "_" + last)) {
      if (last == 0) {
        NAMES.remove(prefix);
      } else {
        NAMES.put(prefix, last);
      }
    }
  }

  /**
   * Forgets the name counters, so the next Dense is {@code dense} again, puts the global dtype
   * policy back to {@code float32} (Keras 3 keeps both in the global state that {@code
   * clear_session} drops), and frees the backend memory of models the program has dropped and the
   * collector has found unreachable.
   */
  public static synchronized void clearSession() {
    NAMES.clear();
    dtypePolicy = DTypePolicy.FLOAT32;
    Releases.releaseDropped();
  }

  /** Converts CamelCase to snake_case by Keras's rule ({@code Conv2D} to {@code conv2d}). */
  public static String snakeCase(String camel) {
    String s = camel.replaceAll("(.)([A-Z][a-z]+)", "$1_$2");
    return s.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(java.util.Locale.ROOT);
  }
}
