//! Spinu's risk-parity Newton method in Rust: a line-by-line port of
//! src/kernels/optimizer/risk-parity.ts (read it for the method, the line search and the
//! references), with the same floating-point operations in the same order, so it takes the same steps and
//! returns the same bits.

use super::linear_algebra::{cholesky_upper, dot, multiply_matrix_vector, solve_with_factor};
use super::qp::{STATUS_ITERATION_LIMIT, STATUS_NOT_POSITIVE_DEFINITE, STATUS_OPTIMAL};

/// kNewtonDecrementTolerance, kLineSearchSlopeTolerance and kLineSearchStepsMax in
/// src/kernels/optimizer/contract.ts.
const DECREMENT_TOLERANCE: f64 = 1e-9;
const LINE_SEARCH_SLOPE_TOLERANCE: f64 = 1e-2;
const LINE_SEARCH_STEPS_MAX: u32 = 50;

/// kNewtonFullStepDecrement = 0.95 * ((3 - sqrt(5)) / 2), computed as the TS constant is.
fn full_step_decrement() -> f64 {
    0.95 * ((3.0 - 5.0_f64.sqrt()) / 2.0)
}

struct Work<'a> {
    covariance: &'a [f64],
    n: usize,
    budgets: &'a [f64],
    product: Vec<f64>,
    gradient: Vec<f64>,
    curvature: Vec<f64>,
    direction: Vec<f64>,
    direction_product: Vec<f64>,
    factor: Vec<f64>,
}

/// Minimises 1/2 x'Sx - sum b_i ln x_i into `x`; returns (status, iterations).
pub fn solve(covariance: &[f64], n: usize, budgets: &[f64], iterations_max: u32, x: &mut [f64]) -> (u32, u32) {
    assert!(covariance.len() == n * n);
    assert!(budgets.len() == n);
    assert!(x.len() == n);
    x.fill(0.0);
    let mut work = Work {
        covariance,
        n,
        budgets,
        product: vec![0.0; n],
        gradient: vec![0.0; n],
        curvature: vec![0.0; n],
        direction: vec![0.0; n],
        direction_product: vec![0.0; n],
        factor: vec![0.0; n * n],
    };
    if cholesky_upper(covariance, None, n, &mut work.factor).is_some() {
        return (STATUS_NOT_POSITIVE_DEFINITE, 0);
    }
    let mut budget_sum = 0.0_f64;
    for &budget in budgets {
        budget_sum += budget;
    }
    work.start_on_inverse_volatility(budget_sum, x);
    let tolerance = DECREMENT_TOLERANCE * budget_sum.sqrt();
    let full_step = full_step_decrement();
    let mut iterations = 0_u32;
    while iterations < iterations_max {
        multiply_matrix_vector(covariance, n, x, &mut work.product);
        for index in 0..n {
            let value = x[index];
            let budget = budgets[index];
            work.gradient[index] = work.product[index] - budget / value;
            work.curvature[index] = budget / (value * value);
        }
        if cholesky_upper(covariance, Some(&work.curvature), n, &mut work.factor).is_some() {
            return (STATUS_NOT_POSITIVE_DEFINITE, iterations);
        }
        work.direction.copy_from_slice(&work.gradient);
        solve_with_factor(&work.factor, n, &mut work.direction);
        let decrement_square = dot(&work.gradient, &work.direction);
        let decrement = (if decrement_square > 0.0 { decrement_square } else { 0.0 }).sqrt();
        let step = if decrement > full_step { work.line_search(x, decrement, decrement_square) } else { 1.0 };
        for (value, &change) in x.iter_mut().zip(&work.direction) {
            *value -= step * change;
        }
        iterations += 1;
        if decrement <= tolerance {
            return (STATUS_OPTIMAL, iterations);
        }
    }
    (STATUS_ITERATION_LIMIT, iterations)
}

impl Work<'_> {
    fn start_on_inverse_volatility(&mut self, budget_sum: f64, x: &mut [f64]) {
        let n = self.n;
        for index in 0..n {
            self.curvature[index] = self.budgets[index].sqrt() / self.covariance[index * n + index].sqrt();
        }
        multiply_matrix_vector(self.covariance, n, &self.curvature, &mut self.product);
        let quadratic = dot(&self.curvature, &self.product);
        let scale = (budget_sum / quadratic).sqrt();
        for (value, &direction) in x.iter_mut().zip(&self.curvature) {
            *value = scale * direction;
        }
    }

    fn line_search(&mut self, x: &[f64], decrement: f64, decrement_square: f64) -> f64 {
        let n = self.n;
        multiply_matrix_vector(self.covariance, n, &self.direction, &mut self.direction_product);
        let mut curvature_along = 0.0_f64;
        let mut slope_at_zero = 0.0_f64;
        for index in 0..n {
            curvature_along += self.direction[index] * self.direction_product[index];
            slope_at_zero += self.direction[index] * self.product[index];
        }
        let mut upper = f64::INFINITY;
        for (&value, &change) in x.iter().zip(&self.direction) {
            if change > 0.0 {
                let limit = value / change;
                if limit < upper {
                    upper = limit;
                }
            }
        }
        let mut lower = 0.0_f64;
        let mut step = 1.0 / (1.0 + decrement);
        for _ in 0..LINE_SEARCH_STEPS_MAX {
            let mut slope = -slope_at_zero + step * curvature_along;
            let mut second_derivative = curvature_along;
            for ((&value, &change), &budget) in x.iter().zip(&self.direction).zip(self.budgets) {
                let moved = value - step * change;
                let term = (budget * change) / moved;
                slope += term;
                second_derivative += (term * change) / moved;
            }
            if slope < 0.0 {
                lower = step;
            } else {
                upper = step;
            }
            if slope.abs() <= LINE_SEARCH_SLOPE_TOLERANCE * decrement_square {
                break;
            }
            let mut next = step - slope / second_derivative;
            if !(next > lower && next < upper) {
                next = if upper == f64::INFINITY { 2.0 * step } else { (lower + upper) / 2.0 };
            }
            step = next;
        }
        step
    }
}
