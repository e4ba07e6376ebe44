package dev.kiln.engine.cuda.kernels;

/**
 * The kinds of kernel parameters in Kiln's launch ABI, each with the PTX parameter declaration nvcc
 * writes for it.
 */
public enum ParamKind {
  /** A C {@code int}: function codes, flags, small sizes. */
  I32("u32", 4, 4),
  /** An {@code int64_t}: element counts, offsets, strides. */
  I64("u64", 8, 8),
  /** A device pointer. */
  PTR("u64", 8, 8),
  /** A C {@code float}. */
  F32("f32", 4, 4),
  /** A C {@code double}. */
  F64("f64", 8, 8),
  /** A {@link Indexer} by value. */
  INDEXER("b8", Indexer.BYTES, 8),
  /** A {@link ConvGeometry} by value. */
  CONV("b8", ConvGeometry.BYTES, 4),
  /** A {@link PoolGeometry} by value. */
  POOL("b8", PoolGeometry.BYTES, 4);

  private final String ptxType;
  private final int bytes;
  private final int align;

  ParamKind(String ptxType, int bytes, int align) {
    this.ptxType = ptxType;
    this.bytes = bytes;
    this.align = align;
  }

  /**
   * The PTX type of the parameter ({@code u32}, {@code u64}, {@code f32}, {@code f64}, {@code b8}).
   */
  public String ptxType() {
    return ptxType;
  }

  /** The parameter's size in bytes. */
  public int bytes() {
    return bytes;
  }

  /** The parameter's alignment in bytes. */
  public int align() {
    return align;
  }

  /** Whether a parameter parsed from PTX is declared as this kind expects. */
  public boolean matches(PtxModule.Param p) {
    return p.type().equals(ptxType) && p.bytes() == bytes && p.align() == align;
  }
}
