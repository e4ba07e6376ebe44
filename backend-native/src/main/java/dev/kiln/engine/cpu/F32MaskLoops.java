package dev.kiln.engine.cpu;

import dev.kiln.spi.ir.CompareFn;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Float32 comparisons into bool bytes and selects on bool bytes, with one loop per comparison for
 * the same reason as {@link F32Loops}. Bool lanes travel as a byte vector with as many lanes as the
 * float vector, so a mask converts between the two without shuffles.
 */
final class F32MaskLoops {
  static final VectorSpecies<Float> S = VectorWidth.F32;
  static final int V = S.length();

  /** The byte species with one lane per float lane; 64 bits is the smallest byte vector. */
  static final VectorSpecies<Byte> B =
      VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(64, V * 8)));

  private static final ByteOrder O = ByteOrder.nativeOrder();
  private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
  private static final ByteVector ONES = ByteVector.broadcast(B, (byte) 1);

  private F32MaskLoops() {}

  /**
   * True when a byte vector with as many lanes as the float vector exists (at least 8 lanes: 256
   * bits of floats). Callers check {@link VectorKernels#masksSupported()} before touching this
   * class, whose constants need it.
   */
  static boolean supported() {
    return V * 8 >= 64;
  }

  /**
   * {@code y[i] = a[i] cmp b}, or {@code a[i] cmp b[i]} when {@code bScalar} is false; y holds
   * bytes 0 or 1.
   */
  static void compare(
      CompareFn fn,
      MemorySegment as,
      MemorySegment bs,
      boolean bScalar,
      MemorySegment ys,
      long from,
      long to) {
    long bound = from + S.loopBound(to - from);
    float s = bScalar ? bs.getAtIndex(F, 0) : 0f;
    FloatVector sv = FloatVector.broadcast(S, s);
    switch (fn) {
      case EQUAL -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.EQ, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p == q ? 1 : 0));
        }
      }
      case NOT_EQUAL -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.NE, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p != q ? 1 : 0));
        }
      }
      case LESS -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.LT, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p < q ? 1 : 0));
        }
      }
      case LESS_EQUAL -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.LE, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p <= q ? 1 : 0));
        }
      }
      case GREATER -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.GT, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p > q ? 1 : 0));
        }
      }
      case GREATER_EQUAL -> {
        long i = from;
        for (; i < bound; i += V) {
          FloatVector a = FloatVector.fromMemorySegment(S, as, i * 4, O);
          FloatVector b = bScalar ? sv : FloatVector.fromMemorySegment(S, bs, i * 4, O);
          VectorMask<Float> m = a.compare(VectorOperators.GE, b);
          ByteVector.zero(B).blend(ONES, m.cast(B)).intoMemorySegment(ys, i, O);
        }
        for (; i < to; i++) {
          float p = as.getAtIndex(F, i);
          float q = bScalar ? s : bs.getAtIndex(F, i);
          ys.set(ValueLayout.JAVA_BYTE, i, (byte) (p >= q ? 1 : 0));
        }
      }
    }
  }

  /**
   * {@code y[i] = c[i] != 0 ? a[i] : b[i]} for bool c and float32 a, b of c's shape, or of one
   * element, repeated ({@code aScalar}, {@code bScalar}: a ReLU's zero).
   */
  static void select(
      MemorySegment cs,
      MemorySegment as,
      boolean aScalar,
      MemorySegment bs,
      boolean bScalar,
      MemorySegment ys,
      long from,
      long to) {
    float sa = aScalar ? as.getAtIndex(F, 0) : 0f;
    float sb = bScalar ? bs.getAtIndex(F, 0) : 0f;
    FloatVector va = FloatVector.broadcast(S, sa);
    FloatVector vb = FloatVector.broadcast(S, sb);
    long bound = from + S.loopBound(to - from);
    long i = from;
    for (; i < bound; i += V) {
      VectorMask<Float> m =
          ByteVector.fromMemorySegment(B, cs, i, O).compare(VectorOperators.NE, (byte) 0).cast(S);
      FloatVector a = aScalar ? va : FloatVector.fromMemorySegment(S, as, i * 4, O);
      FloatVector b = bScalar ? vb : FloatVector.fromMemorySegment(S, bs, i * 4, O);
      b.blend(a, m).intoMemorySegment(ys, i * 4, O);
    }
    for (; i < to; i++) {
      float a = aScalar ? sa : as.getAtIndex(F, i);
      float b = bScalar ? sb : bs.getAtIndex(F, i);
      ys.setAtIndex(F, i, cs.get(ValueLayout.JAVA_BYTE, i) != 0 ? a : b);
    }
  }
}
