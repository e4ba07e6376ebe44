package dev.kiln.engine.cuda.driver;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * Turns a non-zero status code into a {@link CudaException}. Kept apart from the bindings so that
 * the message is testable without a library: the library's own naming and describing functions are
 * passed in, and the built-in table fills in when they are absent, fail or answer nothing.
 */
final class Status {
  private Status() {}

  /**
   * The exception for {@code call(args)} returning {@code code}.
   *
   * @param library the library's short name in messages ({@code CUDA}, {@code cuBLAS})
   * @param call the function's name
   * @param args alternating argument names and values
   * @param code the status code, not zero
   * @param table the built-in names of the library's codes
   * @param name the library's own naming function, or null; it may return null or throw
   * @param text the library's own describing function, or null; it may return null or throw
   */
  static CudaException failure(
      String library,
      String call,
      Object[] args,
      int code,
      Map<Integer, String> table,
      IntFunction<String> name,
      IntFunction<String> text) {
    String n = ask(name, code);
    if (n == null) {
      n = table.get(code);
    }
    String t = ask(text, code);
    StringBuilder message = new StringBuilder(format(call, args)).append(" failed: ");
    message.append(n != null ? n : library + " status " + code + " (a code Kiln does not know)");
    if (n != null) {
      message.append(" (").append(code).append(')');
    }
    if (t != null && !t.isBlank() && !t.equals(n)) {
      message.append(": ").append(t);
    }
    return new CudaException(message.toString(), call, code, n);
  }

  private static String ask(IntFunction<String> f, int code) {
    if (f == null) {
      return null;
    }
    try {
      return f.apply(code);
    } catch (RuntimeException | LinkageError e) {
      // The describing call is only a nicety; the table and the code still name the error.
      return null;
    }
  }

  /** {@code cuMemAlloc_v2(bytesize=1024, dptr=0x7f00)}: names and values, long text cut short. */
  static String format(String call, Object[] args) {
    StringBuilder b = new StringBuilder(call).append('(');
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(args[i]).append('=').append(value(args[i + 1]));
    }
    return b.append(')').toString();
  }

  private static String value(Object v) {
    return switch (v) {
      case null -> "null";
      case MemorySegment s -> s.address() == 0 ? "NULL" : "0x" + Long.toHexString(s.address());
      case Pointer p -> p.toString();
      case String s when s.length() > 60 ->
          '"' + s.substring(0, 40) + "...\" (" + s.length() + " chars)";
      case String s -> '"' + s + '"';
      case int[] a -> java.util.Arrays.toString(a);
      default -> v.toString();
    };
  }

  /** A device address, printed in hex. */
  record Pointer(long address) {
    @Override
    public String toString() {
      return "0x" + Long.toHexString(address);
    }
  }

  /**
   * A library's {@code const char* f(status)} (cuBLAS's, cuDNN's and NVRTC's naming and describing
   * functions) as a describer for {@link #failure}; null when the library lacks it.
   */
  static IntFunction<String> describer(java.lang.invoke.MethodHandle f) {
    if (f == null) {
      return null;
    }
    return code -> {
      try {
        return string((MemorySegment) f.invokeExact(code));
      } catch (Throwable t) {
        return null;
      }
    };
  }

  /** The C string at {@code address}, or null for a null pointer. */
  static String string(MemorySegment address) {
    if (address == null || address.address() == 0) {
      return null;
    }
    return address.reinterpret(Long.MAX_VALUE).getString(0);
  }
}
