package dev.kiln.api.models;

import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.callbacks.Callback;
import dev.kiln.api.callbacks.ProgressBar;
import dev.kiln.api.data.Dataset;
import dev.kiln.api.models.DataAdapter.Batch;
import dev.kiln.api.models.DataAdapter.Plan;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The loops behind {@code fit}, {@code evaluate} and {@code predict}: epochs and batches,
 * callbacks, the progress bar and the history. Batches come from the {@link DataAdapter}; each runs
 * through the {@link StepCompiler}, which owns the compiled steps.
 */
final class Trainer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

  private final Model model;
  private final StepCompiler steps;

  Trainer(Model model) {
    this.model = model;
    this.steps = new StepCompiler(model);
  }

  /** The compiled steps. */
  StepCompiler steps() {
    return steps;
  }

  /** How many compiled steps are cached (one per mode and input signature). */
  int cacheSize() {
    return steps.cacheSize();
  }

  private Batch split(List<Tensor> element) {
    return DataAdapter.split(element, model.inputCount(), model.compiled().losses.size());
  }

  History fit(Plan plan) {
    model.stopTraining = false;
    History history = new History();
    // As Keras orders them: the user's callbacks first (they may add to the logs), then the
    // progress bar, then History.
    List<Callback> cbs = new ArrayList<>(plan.callbacks());
    ProgressBar bar = null;
    if (plan.verbose() > 0) {
      bar = new ProgressBar(plan.verbose());
      cbs.add(bar);
    }
    cbs.add(history);
    boolean batchMetrics = false;
    for (Callback c : cbs) {
      c.setModel(model);
      batchMetrics |= c.needsBatchMetrics();
    }
    int stepsPerEpoch = plan.stepsPerEpoch();
    long steps = stepsPerEpoch > 0 ? stepsPerEpoch : plan.data().cardinality();
    if (bar != null) {
      bar.setParams(plan.epochs(), steps);
    }
    Map<String, Double> logs = new LinkedHashMap<>();
    for (Callback c : cbs) {
      c.onTrainBegin(logs);
    }
    Iterator<List<Tensor>> carried = null;
    for (int epoch = plan.initialEpoch(); epoch < plan.epochs() && !model.stopTraining; epoch++) {
      model.compiled().reset();
      for (Callback c : cbs) {
        c.onEpochBegin(epoch, logs);
      }
      Iterator<List<Tensor>> it;
      if (stepsPerEpoch > 0) {
        // With steps_per_epoch the dataset's iterator continues across epochs, as Keras.
        if (carried == null || !carried.hasNext()) {
          carried = plan.data().iterator();
        }
        it = carried;
      } else {
        it = plan.data().iterator();
      }
      int step = 0;
      while ((stepsPerEpoch <= 0 || step < stepsPerEpoch) && it.hasNext()) {
        Batch batch = split(it.next());
        for (Callback c : cbs) {
          c.onTrainBatchBegin(step, logs);
        }
        double loss = this.steps.train(batch);
        Map<String, Double> batchLogs;
        if (batchMetrics) {
          batchLogs = model.compiled().results();
        } else {
          batchLogs = new LinkedHashMap<>();
          batchLogs.put("loss", loss);
        }
        for (Callback c : cbs) {
          c.onTrainBatchEnd(step, batchLogs);
        }
        step++;
        if (model.stopTraining) {
          break;
        }
      }
      if (step == 0) {
        throw new KilnException(
            "the training data yielded no batches in epoch "
                + (epoch + 1)
                + (stepsPerEpoch > 0 ? "; it ran out: use repeat() with steps_per_epoch" : ""));
      }
      if (stepsPerEpoch > 0 && step < stepsPerEpoch && !model.stopTraining) {
        // Keras's warning: the epoch ends early and the next one starts the data again.
        LOG.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or"
                + " generator can generate at least `steps_per_epoch * epochs` batches (epoch {}"
                + " ran {} of {} steps). You may need to use the `.repeat()` function when"
                + " building your dataset.",
            epoch + 1,
            step,
            stepsPerEpoch);
      }
      if (bar != null && steps <= 0) {
        bar.setParams(plan.epochs(), step);
      }
      logs = model.compiled().results();
      if (plan.validation() != null) {
        Map<String, Double> val = evaluate(plan.validation(), 0, List.of());
        for (Map.Entry<String, Double> e : val.entrySet()) {
          logs.put("val_" + e.getKey(), e.getValue());
        }
      }
      for (Callback c : cbs) {
        c.onEpochEnd(epoch, logs);
      }
    }
    for (Callback c : cbs) {
      c.onTrainEnd(logs);
    }
    return history;
  }

  /**
   * Evaluates every batch of {@code data} with the metrics reset first.
   *
   * @param verbose above 0 shows a progress bar
   */
  Map<String, Double> evaluate(Dataset data, int verbose, List<Callback> callbacks) {
    model.compiled().reset();
    List<Callback> cbs = new ArrayList<>(callbacks);
    if (verbose > 0) {
      ProgressBar bar = new ProgressBar(verbose);
      bar.beginTest(data.cardinality());
      cbs.add(bar);
    }
    Map<String, Double> logs = new LinkedHashMap<>();
    for (Callback c : cbs) {
      c.setModel(model);
      c.onTestBegin(logs);
    }
    int step = 0;
    for (List<Tensor> e : data) {
      steps.test(split(e));
      for (Callback c : cbs) {
        c.onTestBatchEnd(step, logs);
      }
      step++;
    }
    if (step == 0) {
      // Keras refuses empty data; a loss of 0 over no samples would read as a perfect model.
      throw new KilnException(
          "evaluate: the data yielded no batches; expected input data to be non-empty");
    }
    logs = model.compiled().results();
    for (Callback c : cbs) {
      c.onTestEnd(logs);
    }
    return logs;
  }

  /** Predicts every batch of inputs; returns one tensor per output, the batches concatenated. */
  List<Tensor> predict(Dataset inputs) {
    List<List<Tensor>> parts = new ArrayList<>();
    for (List<Tensor> batch : inputs) {
      parts.add(steps.predict(batch));
    }
    if (parts.isEmpty()) {
      throw new KilnException(
          "predict: the data yielded no batches; expected input data to be non-empty");
    }
    List<Tensor> out = new ArrayList<>();
    for (int j = 0; j < parts.get(0).size(); j++) {
      List<Tensor> col = new ArrayList<>();
      for (List<Tensor> p : parts) {
        col.add(p.get(j));
      }
      out.add(Tensor.concat(col));
    }
    return out;
  }

  /** One training step; the logs hold the running metrics and this batch's loss. */
  Map<String, Double> trainOnBatch(Batch batch) {
    double loss = steps.train(batch);
    Map<String, Double> logs = model.compiled().results();
    logs.put("loss", loss);
    return logs;
  }

  /** One evaluation step with the metrics reset first, as Keras. */
  Map<String, Double> testOnBatch(Batch batch) {
    model.compiled().reset();
    steps.test(batch);
    return model.compiled().results();
  }

  @Override
  public void close() {
    steps.close();
  }
}
