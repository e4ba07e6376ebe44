package dev.kiln.spi.ir;

import static dev.kiln.spi.ir.Rules.arity;
import static dev.kiln.spi.ir.Rules.checkFullyKnown;
import static dev.kiln.spi.ir.Rules.normalizeAxis;
import static dev.kiln.spi.ir.Rules.requireFloat;
import static dev.kiln.spi.ir.Rules.requireNumeric;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import java.util.List;
import java.util.Locale;

/**
 * Ops that make a value from their attributes rather than from operand data: graph inputs,
 * constants, variable reads, index ramps and random numbers (whose one operand is only a seed).
 */
public sealed interface SourceOp extends Op
    permits SourceOp.Parameter,
        SourceOp.Constant,
        SourceOp.VariableRead,
        SourceOp.Iota,
        SourceOp.Random {

  /** Graph input number {@code index}. */
  record Parameter(int index, TensorType type) implements SourceOp {
    @Override
    public String name() {
      return "parameter";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "index=" + index;
    }
  }

  /** A constant tensor. */
  record Constant(HostTensor value) implements SourceOp {
    @Override
    public String name() {
      return "constant";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(value.type());
    }

    @Override
    public String attributes() {
      return value.size() == 1 ? "value=" + value.getDouble(0) : "";
    }
  }

  /** Reads the current value of the backend variable {@code id}. */
  record VariableRead(String id, TensorType type) implements SourceOp {
    @Override
    public String name() {
      return "variable";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "id=" + id;
    }
  }

  /** The index along {@code axis} at every position of a tensor of {@code type}. */
  record Iota(TensorType type, int axis) implements SourceOp {
    @Override
    public String name() {
      return "iota";
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 0);
      checkFullyKnown(name(), "the shape", type.shape());
      requireNumeric(name(), type);
      normalizeAxis(name(), axis, type.rank(), type);
      return List.of(type);
    }

    @Override
    public String attributes() {
      return "axis=" + axis;
    }
  }

  /**
   * Random numbers from the counter-based Philox generator (see {@code dev.kiln.spi.random.Philox})
   * keyed by its one operand, an int64 seed of shape {@code (2,)}: {@code [key, counter]}. The same
   * seed gives the same numbers on every backend and device.
   */
  record Random(Distribution distribution, TensorType type, double a, double b)
      implements SourceOp {
    @Override
    public String name() {
      return "random_" + distribution.name().toLowerCase(Locale.ROOT);
    }

    @Override
    public List<TensorType> infer(List<TensorType> in) {
      arity(name(), in, 1);
      TensorType seed = in.get(0);
      if (seed.dtype() != DType.INT64 || !seed.shape().equals(Shape.of(2))) {
        throw new ShapeError(name(), "the seed must be int64(2,) but received " + seed);
      }
      checkFullyKnown(name(), "the shape", type.shape());
      if (distribution != Distribution.BERNOULLI) {
        requireFloat(name(), type);
      }
      return List.of(type);
    }

    @Override
    public String attributes() {
      return switch (distribution) {
        case UNIFORM -> "low=" + a + ", high=" + b;
        case NORMAL -> "mean=" + a + ", stddev=" + b;
        case BERNOULLI -> "p=" + a;
      };
    }
  }
}
