/** Datasets and loaders: IDX (MNIST), CSV, NumPy npy/npz, image folders. */
package dev.kiln.api.data;
