/// @file
/// Everything in nabla's public API, in one include: `#include <nabla/nabla.hpp>`.
#pragma once

#include "nabla/activation.hpp"
#include "nabla/checkpoint.hpp"
#include "nabla/dataset.hpp"
#include "nabla/device.hpp"
#include "nabla/error.hpp"
#include "nabla/gradcheck.hpp"
#include "nabla/loss.hpp"
#include "nabla/matrix.hpp"
#include "nabla/model.hpp"
#include "nabla/network.hpp"
#include "nabla/onnx.hpp"
#include "nabla/optimizer.hpp"
#include "nabla/preprocess.hpp"
#include "nabla/report.hpp"
#include "nabla/rng.hpp"
#include "nabla/schedule.hpp"
#include "nabla/threads.hpp"
#include "nabla/trainer.hpp"
#include "nabla/version.hpp"
