package dev.kiln.engine.cpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Off-heap allocation for the engine. Small blocks come from the arena (the C heap); blocks of
 * {@link #MAPPED_MIN} bytes and more are mapped pages of their own, unmapped when the arena closes,
 * so their memory goes back to the operating system at once. Through the C heap alone, freed blocks
 * of executables and tensors stayed resident: the heap raises its mapping threshold after the first
 * large free and then keeps large freed blocks for reuse, which a program building and closing
 * hundreds of models measured as tens of MB of resident memory never given back.
 */
public final class OffHeap {
  /** Blocks this large or larger are mapped pages of their own. */
  public static final long MAPPED_MIN = 64 * 1024;

  private static final long PAGE = 4096;
  private static final int PROT_READ_WRITE = 0x1 | 0x2;
  private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
  private static final MethodHandle MMAP;
  private static final MethodHandle MUNMAP;
  private static final MethodHandle MALLOC_TRIM;

  static {
    MethodHandle mmap = null;
    MethodHandle munmap = null;
    MethodHandle trim = null;
    if (System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
      try {
        Linker linker = Linker.nativeLinker();
        var libc = linker.defaultLookup();
        mmap =
            linker.downcallHandle(
                libc.find("mmap").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.ADDRESS,
                    ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_INT,
                    ValueLayout.JAVA_LONG));
        munmap =
            linker.downcallHandle(
                libc.find("munmap").orElseThrow(),
                FunctionDescriptor.of(
                    ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
        // glibc only; other C libraries give memory back by themselves or not at all.
        trim =
            libc.find("malloc_trim")
                .map(
                    a ->
                        linker.downcallHandle(
                            a, FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG)))
                .orElse(null);
      } catch (RuntimeException | LinkageError e) {
        // Native access refused or no libc symbols: every block comes from the arena instead.
        mmap = null;
        munmap = null;
        trim = null;
      }
    }
    MMAP = mmap;
    MUNMAP = munmap;
    MALLOC_TRIM = trim;
  }

  /**
   * Hands the C heap's free memory back to the operating system. The C heap keeps the small blocks
   * of closed tensors and executables for reuse, and after hundreds of models built and closed that
   * was 100 MB resident; callers trim after freeing many blocks at once.
   */
  public static void trim() {
    if (MALLOC_TRIM != null) {
      try {
        int released = (int) MALLOC_TRIM.invokeExact(0L);
        assert released >= 0;
      } catch (Throwable t) {
        throw new IllegalStateException("malloc_trim failed", t);
      }
    }
  }

  private OffHeap() {}

  /**
   * A zeroed block of {@code bytes} (at least 1), aligned to {@code alignment} (at most a page),
   * freed when {@code arena} closes (or, for an automatic arena, when it is collected).
   */
  public static MemorySegment allocate(Arena arena, long bytes, long alignment) {
    long size = Math.max(1, bytes);
    if (size < MAPPED_MIN || MMAP == null || alignment > PAGE) {
      return arena.allocate(size, alignment);
    }
    long mapped = (size + PAGE - 1) / PAGE * PAGE;
    MemorySegment raw;
    try {
      raw =
          (MemorySegment)
              MMAP.invokeExact(
                  MemorySegment.NULL, mapped, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
    } catch (Throwable t) {
      throw new IllegalStateException("mmap of " + mapped + " bytes failed", t);
    }
    if (raw.address() == -1L) {
      // Out of address space or over a limit: the arena reports it as Java's own error.
      return arena.allocate(size, alignment);
    }
    return raw.reinterpret(size, arena, s -> unmap(s.address(), mapped));
  }

  private static void unmap(long address, long bytes) {
    try {
      int rc = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), bytes);
      assert rc == 0;
    } catch (Throwable t) {
      throw new IllegalStateException("munmap of " + bytes + " bytes failed", t);
    }
  }

  /** A byte count for messages: {@code 1.5 GiB (1610612736 bytes)}. */
  public static String describeBytes(long bytes) {
    String[] units = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = bytes;
    int u = 0;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return u == 0
        ? bytes + " bytes"
        : String.format(java.util.Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], bytes);
  }

  /** The heap memory of a host tensor's array, for copies to and from native memory. */
  public static MemorySegment heapSegment(dev.kiln.spi.HostTensor h) {
    return switch (h.array()) {
      case float[] a -> MemorySegment.ofArray(a);
      case double[] a -> MemorySegment.ofArray(a);
      case short[] a -> MemorySegment.ofArray(a);
      case byte[] a -> MemorySegment.ofArray(a);
      case int[] a -> MemorySegment.ofArray(a);
      case long[] a -> MemorySegment.ofArray(a);
      default -> throw new IllegalStateException("unexpected host array " + h.array().getClass());
    };
  }
}
