package dev.kiln.engine.cuda.driver;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * One C function of a CUDA library: its symbol, other symbols that provide it on older libraries
 * (tried in order), and its signature.
 *
 * @param symbol the preferred symbol ({@code cuMemAlloc_v2})
 * @param alternatives symbols tried when it is absent
 * @param descriptor the C signature
 * @param optional whether the library may lack it (its handle is then null)
 */
record CFunction(
    String symbol, List<String> alternatives, FunctionDescriptor descriptor, boolean optional) {
  CFunction {
    alternatives = List.copyOf(alternatives);
  }

  /** A required function returning a status code ({@code int}). */
  static CFunction status(String symbol, MemoryLayout... args) {
    return new CFunction(symbol, List.of(), FunctionDescriptor.of(JAVA_INT, args), false);
  }

  /** This function, falling back to {@code others} on libraries without it. */
  CFunction or(String... others) {
    return new CFunction(symbol, List.of(others), descriptor, optional);
  }

  /** This function, allowed to be missing. */
  CFunction optionalFn() {
    return new CFunction(symbol, alternatives, descriptor, true);
  }

  /** Every symbol, preferred first. */
  List<String> symbols() {
    List<String> all = new ArrayList<>();
    all.add(symbol);
    all.addAll(alternatives);
    return all;
  }

  /**
   * Resolves functions against the library {@code located} loaded.
   *
   * @throws CudaException saying where it was searched if it was not found
   */
  static Function<CFunction, MethodHandle> resolver(String library, CudaLibraries.Located located) {
    if (!located.found()) {
      throw new CudaException(located.describe(), null);
    }
    return resolver(library, located.loaded().get().where(), located.lookup());
  }

  /**
   * What a failed {@code invokeExact} becomes: runtime exceptions and errors pass through, anything
   * else is wrapped with the function's name.
   */
  static RuntimeException unexpected(CFunction f, Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new CudaException("calling " + f.symbol() + " failed: " + t, t);
  }

  /**
   * Resolves functions against a loaded library: the first symbol present, as a downcall handle. A
   * required function that is missing is a {@link CudaException} naming the library, where it was
   * loaded from and the symbols tried.
   */
  static Function<CFunction, MethodHandle> resolver(
      String library, String where, SymbolLookup lookup) {
    Linker linker = Linker.nativeLinker();
    return f -> {
      for (String s : f.symbols()) {
        Optional<MemorySegment> address = lookup.find(s);
        if (address.isPresent()) {
          return linker.downcallHandle(address.get(), f.descriptor());
        }
      }
      if (f.optional()) {
        return null;
      }
      throw new CudaException(
          library
              + " at "
              + where
              + " has no "
              + String.join(" or ", f.symbols())
              + "; Kiln needs a version that has it",
          null);
    };
  }
}
