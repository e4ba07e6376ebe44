package dev.kiln.engine.cuda;

import dev.kiln.engine.cuda.driver.KernelParameters;
import dev.kiln.engine.cuda.kernels.CudaKernel;
import dev.kiln.engine.cuda.kernels.ParamKind;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;

/**
 * One kernel launch of a compiled program: the kernel, grid and block, and the arguments in the
 * kernel's parameter order. Pointer arguments name a value's memory slot and a byte offset in it;
 * the slot's address is known only when the program runs (inputs and outputs are bound per run).
 *
 * @param kernel the kernel
 * @param grid blocks in x, y, z
 * @param block threads in x, y, z
 * @param args the arguments, one per kernel parameter
 */
public record CudaLaunch(CudaKernel kernel, int[] grid, int[] block, List<Arg> args) {
  /** The slot of the program's scratch memory (im2col's column matrix). */
  public static final int WORKSPACE = -1;

  /** Copies and checks the arguments against the kernel's parameter list. */
  public CudaLaunch {
    grid = grid.clone();
    block = block.clone();
    args = List.copyOf(args);
    List<ParamKind> want = kernel.params();
    List<ParamKind> got = args.stream().map(Arg::kind).toList();
    if (!want.equals(got)) {
      throw new IllegalArgumentException(
          "launch of " + kernel.name() + " passes " + got + " but the kernel takes " + want);
    }
  }

  /** A launch argument. */
  public sealed interface Arg {
    /** The parameter kind it fills. */
    ParamKind kind();
  }

  /**
   * An {@code int32}.
   *
   * @param value the value
   */
  public record I32(int value) implements Arg {
    @Override
    public ParamKind kind() {
      return ParamKind.I32;
    }
  }

  /**
   * An {@code int64}.
   *
   * @param value the value
   */
  public record I64(long value) implements Arg {
    @Override
    public ParamKind kind() {
      return ParamKind.I64;
    }
  }

  /**
   * A {@code float}.
   *
   * @param value the value
   */
  public record F32(float value) implements Arg {
    @Override
    public ParamKind kind() {
      return ParamKind.F32;
    }
  }

  /**
   * A {@code double}.
   *
   * @param value the value
   */
  public record F64(double value) implements Arg {
    @Override
    public ParamKind kind() {
      return ParamKind.F64;
    }
  }

  /**
   * A device pointer into a value's memory.
   *
   * @param slot the value's slot in the program, or {@link #WORKSPACE}
   * @param byteOffset bytes from the start of the slot's memory
   * @param value the value the slot holds (null for the workspace), for checks and messages
   * @param written whether the kernel writes through it
   */
  public record Ptr(int slot, long byteOffset, Value value, boolean written) implements Arg {
    @Override
    public ParamKind kind() {
      return ParamKind.PTR;
    }
  }

  /**
   * A launch struct by value (an indexer or a convolution or pooling geometry).
   *
   * @param kind {@link ParamKind#INDEXER}, {@link ParamKind#CONV} or {@link ParamKind#POOL}
   * @param bytes the struct's bytes, little-endian
   */
  public record Struct(ParamKind kind, byte[] bytes) implements Arg {
    /** Checks the size. */
    public Struct {
      if (bytes.length != kind.bytes()) {
        throw new IllegalArgumentException(
            kind + " struct takes " + kind.bytes() + " bytes; received " + bytes.length);
      }
      bytes = bytes.clone();
    }

    /** The struct's bytes (a copy). */
    @Override
    public byte[] bytes() {
      return bytes.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Struct s && s.kind == kind && Arrays.equals(s.bytes, bytes);
    }

    @Override
    public int hashCode() {
      return kind.hashCode() * 31 + Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
      return "Struct[" + kind + "]";
    }
  }

  /** The pointer arguments in order. */
  public List<Ptr> pointers() {
    return args.stream().filter(a -> a instanceof Ptr).map(a -> (Ptr) a).toList();
  }

  /** Writes the arguments for {@code cuLaunchKernel}, with the pointers' resolved addresses. */
  public void write(KernelParameters p, long[] pointers) {
    int next = 0;
    for (Arg a : args) {
      switch (a) {
        case I32 v -> p.i32(v.value());
        case I64 v -> p.i64(v.value());
        case F32 v -> p.f32(v.value());
        // The launch copies the parameter's 8 bytes whatever their declared type.
        case F64 v -> p.i64(Double.doubleToRawLongBits(v.value()));
        case Ptr v -> p.pointer(pointers[next++]);
        case Struct v -> p.struct(MemorySegment.ofArray(v.bytes), v.kind().align());
      }
    }
  }

  @Override
  public String toString() {
    return kernel.name()
        + " grid="
        + Arrays.toString(grid)
        + " block="
        + Arrays.toString(block)
        + " "
        + args;
  }
}
