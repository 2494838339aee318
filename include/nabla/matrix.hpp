/// @file
/// A dense row-major matrix: rows are samples, columns are features or units. A mini-batch of n
/// samples is an n × width Matrix, so the column vectors a^l of the
/// backpropagation equations (docs/backprop.md) are the rows of A^l.
#pragma once

#include <cstddef>
#include <vector>

namespace nabla {

/// A rows × cols matrix of T, stored row by row in `data`.
template <class T>
struct Matrix {
    std::size_t rows = 0;  ///< samples
    std::size_t cols = 0;  ///< features or units
    std::vector<T> data;  ///< rows × cols values, row-major

    Matrix() = default;
    /// An r × c matrix with every value `fill`.
    Matrix(std::size_t r, std::size_t c, T fill = T(0)) : rows(r), cols(c), data(r * c, fill) {}

    T* row(std::size_t i) { return data.data() + i * cols; }  ///< the cols values of row i
    const T* row(std::size_t i) const { return data.data() + i * cols; }  ///< the cols values of row i
    T& operator()(std::size_t i, std::size_t j) { return data[i * cols + j]; }  ///< element (i, j)
    const T& operator()(std::size_t i, std::size_t j) const { return data[i * cols + j]; }  ///< element (i, j)
    std::size_t size() const { return data.size(); }  ///< rows × cols
    bool empty() const { return data.empty(); }  ///< true when there are no values
};

}  // namespace nabla
