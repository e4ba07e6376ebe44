/**
 * Keras model configs as JSON: parsing with limits and clear errors, and turning the dialects that
 * Keras 2, tf.keras and TF.js write into Keras 3's form, which the models are built from.
 */
package dev.kiln.api.saving.configs;
