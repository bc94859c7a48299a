//! The Goldfarb-Idnani dual active-set QP solver in Rust.
//!
//! A line-by-line port of src/kernels/optimizer/qp.ts (read it for the method, its references and the
//! meaning of every array): the same steps, the same tie-breaks and the same floating-point operations in
//! the same order, so it takes the same iterations and returns the same bits as the TypeScript reference.
//! Only scheduling differs: dense d = J'n_p products run four rows at a time (independent sums), and the
//! z update and the Givens rotations walk rows that LLVM vectorises.

use super::linear_algebra::{axpy, axpy_negative, cholesky_upper, dot, dot_four, invert_lower_from_upper, multiply_rows_vector};

/// kFeasibilityTolerance and kDependenceTolerance in src/kernels/optimizer/contract.ts.
const FEASIBILITY_TOLERANCE: f64 = 1e-12;
const DEPENDENCE_TOLERANCE: f64 = 1e-20;

pub const STATUS_OPTIMAL: u32 = 0;
pub const STATUS_INFEASIBLE: u32 = 1;
pub const STATUS_NOT_POSITIVE_DEFINITE: u32 = 2;
pub const STATUS_ITERATION_LIMIT: u32 = 3;

/// The program, borrowed (see QuadraticProgram in src/kernels/optimizer/contract.ts).
pub struct Program<'a> {
    pub n: usize,
    pub hessian: &'a [f64],
    pub linear: &'a [f64],
    pub equality_count: usize,
    pub equality_matrix: &'a [f64],
    pub equality_target: &'a [f64],
    pub inequality_count: usize,
    pub inequality_matrix: &'a [f64],
    pub inequality_target: &'a [f64],
    pub lower: &'a [f64],
    pub upper: &'a [f64],
    pub lower_share: &'a [f64],
    pub upper_share: &'a [f64],
}

struct State<'a, 'p> {
    program: &'p Program<'a>,
    n: usize,
    jt: Vec<f64>,
    triangle: Vec<f64>,
    x: &'p mut [f64],
    d: Vec<f64>,
    z: Vec<f64>,
    r: Vec<f64>,
    u: Vec<f64>,
    active: Vec<usize>,
    is_active: Vec<bool>,
    row_norms: Vec<f64>,
    /// G x for every inequality row, refreshed by most_violated.
    row_products: Vec<f64>,
    lower_share_norms: Vec<f64>,
    upper_share_norms: Vec<f64>,
    /// J'1, rotated with J's columns (see QpState.ones in the reference).
    ones: Vec<f64>,
    q: usize,
    iterations: u32,
}

/// Solves the program into `x` (n) and `multipliers` (meq + 2n + mrow); returns (status, iterations).
pub fn solve(program: &Program, iterations_max: u32, x: &mut [f64], multipliers: &mut [f64]) -> (u32, u32) {
    let n = program.n;
    assert!(x.len() == n);
    assert!(multipliers.len() == program.equality_count + 4 * n + program.inequality_count);
    assert!(program.lower_share.len() == n && program.upper_share.len() == n);
    x.fill(0.0);
    multipliers.fill(0.0);
    let mut triangle = vec![0.0_f64; n * n];
    if cholesky_upper(program.hessian, None, n, &mut triangle).is_some() {
        return (STATUS_NOT_POSITIVE_DEFINITE, 0);
    }
    let mut jt = vec![0.0_f64; n * n];
    invert_lower_from_upper(&triangle, n, &mut jt);
    triangle.fill(0.0);
    let ones = (0..n)
        .map(|j| {
            let mut total = 0.0_f64;
            for &value in &jt[j * n..(j + 1) * n] {
                total += value;
            }
            total
        })
        .collect();
    let row_norms = (0..program.inequality_count)
        .map(|row| {
            let values = &program.inequality_matrix[row * n..(row + 1) * n];
            dot(values, values).sqrt()
        })
        .collect();
    let mut state = State {
        program,
        n,
        jt,
        triangle,
        x,
        d: vec![0.0; n],
        z: vec![0.0; n],
        r: vec![0.0; n],
        u: vec![0.0; n + 1],
        active: vec![0; n + 1],
        is_active: vec![false; multipliers.len()],
        row_norms,
        row_products: vec![0.0; program.inequality_count],
        lower_share_norms: share_norms(program.lower_share, n),
        upper_share_norms: share_norms(program.upper_share, n),
        ones,
        q: 0,
        iterations: 0,
    };
    state.start_at_unconstrained_minimum();
    let mut status = state.add_equalities(iterations_max);
    if status == STATUS_OPTIMAL {
        status = state.add_violated_constraints(iterations_max);
    }
    for position in 0..state.q {
        multipliers[state.active[position]] = state.u[position];
    }
    (status, state.iterations)
}

impl<'a, 'p> State<'a, 'p> {
    fn start_at_unconstrained_minimum(&mut self) {
        let n = self.n;
        fill_products(&self.jt, n, self.program.linear, &mut self.d);
        self.x.fill(0.0);
        for j in 0..n {
            axpy_negative(self.x, &self.jt[j * n..(j + 1) * n], self.d[j]);
        }
    }

    fn add_equalities(&mut self, iterations_max: u32) -> u32 {
        for constraint in 0..self.program.equality_count {
            if self.iterations >= iterations_max {
                return STATUS_ITERATION_LIMIT;
            }
            let independent_square = self.compute_directions(constraint);
            if independent_square < 0.0 {
                return STATUS_INFEASIBLE;
            }
            let step = -self.slack_of(constraint) / independent_square;
            self.take_primal_step(step);
            self.update_multipliers(step);
            self.add_constraint(constraint, step);
        }
        STATUS_OPTIMAL
    }

    fn add_violated_constraints(&mut self, iterations_max: u32) -> u32 {
        let meq = self.program.equality_count;
        loop {
            let constraint = match self.most_violated() {
                None => return STATUS_OPTIMAL,
                Some(constraint) => constraint,
            };
            let mut added_multiplier = 0.0_f64;
            loop {
                if self.iterations >= iterations_max {
                    return STATUS_ITERATION_LIMIT;
                }
                let independent_square = self.compute_directions(constraint);
                let mut dual_step = f64::INFINITY;
                let mut blocking = usize::MAX;
                for position in meq..self.q {
                    let direction = self.r[position];
                    if direction > 0.0 {
                        let ratio = self.u[position] / direction;
                        if ratio < dual_step {
                            dual_step = ratio;
                            blocking = position;
                        }
                    }
                }
                let slack = self.slack_of(constraint);
                let full_step = if independent_square < 0.0 {
                    f64::INFINITY
                } else if slack < 0.0 {
                    -slack / independent_square
                } else {
                    0.0
                };
                if full_step == f64::INFINITY && dual_step == f64::INFINITY {
                    return STATUS_INFEASIBLE;
                }
                if full_step == f64::INFINITY {
                    self.update_multipliers(dual_step);
                    added_multiplier += dual_step;
                    self.drop_constraint(blocking);
                    continue;
                }
                let step = if full_step <= dual_step { full_step } else { dual_step };
                self.take_primal_step(step);
                self.update_multipliers(step);
                added_multiplier += step;
                if full_step <= dual_step {
                    self.add_constraint(constraint, added_multiplier);
                    break;
                }
                self.drop_constraint(blocking);
            }
        }
    }

    fn most_violated(&mut self) -> Option<usize> {
        let program = self.program;
        let n = self.n;
        let meq = program.equality_count;
        let mut largest = 0.0_f64;
        for &value in self.x.iter() {
            let magnitude = value.abs();
            if magnitude > largest {
                largest = magnitude;
            }
        }
        let x_scale = if largest > 1.0 { largest } else { 1.0 };
        // Every row's G_k x at once (the same sums slack_of would form one by one).
        multiply_rows_vector(program.inequality_matrix, program.inequality_count, n, self.x, &mut self.row_products);
        let mut worst = None;
        let mut worst_violation = 0.0_f64;
        let mut consider = |constraint: usize, slack: f64, scale: f64| {
            if slack < -FEASIBILITY_TOLERANCE * scale {
                let violation = -slack / scale;
                if violation > worst_violation {
                    worst_violation = violation;
                    worst = Some(constraint);
                }
            }
        };
        for index in 0..n {
            let bound = program.lower[index];
            let constraint = meq + index;
            if bound != f64::NEG_INFINITY && !self.is_active[constraint] {
                consider(constraint, self.x[index] - bound, x_scale + bound.abs());
            }
        }
        for index in 0..n {
            let bound = program.upper[index];
            let constraint = meq + n + index;
            if bound != f64::INFINITY && !self.is_active[constraint] {
                consider(constraint, bound - self.x[index], x_scale + bound.abs());
            }
        }
        let total = sum_of(self.x);
        for index in 0..n {
            let share = program.lower_share[index];
            let constraint = meq + 2 * n + index;
            if share != f64::NEG_INFINITY && !self.is_active[constraint] {
                consider(constraint, self.x[index] - share * total, self.lower_share_norms[index] * x_scale);
            }
        }
        for index in 0..n {
            let share = program.upper_share[index];
            let constraint = meq + 3 * n + index;
            if share != f64::INFINITY && !self.is_active[constraint] {
                consider(constraint, share * total - self.x[index], self.upper_share_norms[index] * x_scale);
            }
        }
        for row in 0..program.inequality_count {
            let constraint = meq + 4 * n + row;
            if !self.is_active[constraint] {
                let target = program.inequality_target[row];
                consider(constraint, self.row_products[row] - target, self.row_norms[row] * x_scale + target.abs());
            }
        }
        worst
    }

    fn slack_of(&self, constraint: usize) -> f64 {
        let program = self.program;
        let n = self.n;
        let meq = program.equality_count;
        if constraint < meq {
            dot(&program.equality_matrix[constraint * n..(constraint + 1) * n], self.x) - program.equality_target[constraint]
        } else if constraint < meq + n {
            self.x[constraint - meq] - program.lower[constraint - meq]
        } else if constraint < meq + 2 * n {
            program.upper[constraint - meq - n] - self.x[constraint - meq - n]
        } else if constraint < meq + 3 * n {
            let index = constraint - meq - 2 * n;
            self.x[index] - program.lower_share[index] * sum_of(self.x)
        } else if constraint < meq + 4 * n {
            let index = constraint - meq - 3 * n;
            program.upper_share[index] * sum_of(self.x) - self.x[index]
        } else {
            let row = constraint - meq - 4 * n;
            dot(&program.inequality_matrix[row * n..(row + 1) * n], self.x) - program.inequality_target[row]
        }
    }

    /// d = J'n_p, z = J2 d2, r = R^-1 d1; returns |d2|^2, or -1 for a dependent normal.
    fn compute_directions(&mut self, constraint: usize) -> f64 {
        let program = self.program;
        let n = self.n;
        let q = self.q;
        let meq = program.equality_count;
        if constraint < meq {
            fill_products(&self.jt, n, &program.equality_matrix[constraint * n..(constraint + 1) * n], &mut self.d);
        } else if constraint < meq + n {
            let index = constraint - meq;
            for j in 0..n {
                self.d[j] = self.jt[j * n + index];
            }
        } else if constraint < meq + 2 * n {
            let index = constraint - meq - n;
            for j in 0..n {
                self.d[j] = -self.jt[j * n + index];
            }
        } else if constraint < meq + 3 * n {
            let index = constraint - meq - 2 * n;
            let share = program.lower_share[index];
            for j in 0..n {
                self.d[j] = self.jt[j * n + index] - share * self.ones[j];
            }
        } else if constraint < meq + 4 * n {
            let index = constraint - meq - 3 * n;
            let share = program.upper_share[index];
            for j in 0..n {
                self.d[j] = share * self.ones[j] - self.jt[j * n + index];
            }
        } else {
            let row = constraint - meq - 4 * n;
            fill_products(&self.jt, n, &program.inequality_matrix[row * n..(row + 1) * n], &mut self.d);
        }
        self.z.fill(0.0);
        for j in q..n {
            axpy(&mut self.z, &self.jt[j * n..(j + 1) * n], self.d[j]);
        }
        for k in (0..q).rev() {
            let mut sum = self.d[k];
            for l in k + 1..q {
                sum -= self.triangle[k * n + l] * self.r[l];
            }
            self.r[k] = sum / self.triangle[k * n + k];
        }
        let mut total = 0.0_f64;
        for &value in &self.d {
            total += value * value;
        }
        let mut independent = 0.0_f64;
        for &value in &self.d[q..n] {
            independent += value * value;
        }
        if independent > DEPENDENCE_TOLERANCE * total {
            independent
        } else {
            -1.0
        }
    }

    fn take_primal_step(&mut self, step: f64) {
        for (value, &direction) in self.x.iter_mut().zip(&self.z) {
            *value += step * direction;
        }
        self.snap_active_bounds();
    }

    fn snap_active_bounds(&mut self) {
        let program = self.program;
        let n = self.n;
        let meq = program.equality_count;
        for position in meq..self.q {
            let constraint = self.active[position];
            if constraint < meq + n {
                self.x[constraint - meq] = program.lower[constraint - meq];
            } else if constraint < meq + 2 * n {
                self.x[constraint - meq - n] = program.upper[constraint - meq - n];
            }
        }
    }

    fn update_multipliers(&mut self, step: f64) {
        for position in 0..self.q {
            self.u[position] -= step * self.r[position];
        }
    }

    fn add_constraint(&mut self, constraint: usize, multiplier: f64) {
        let n = self.n;
        let q = self.q;
        let mut j = n - 1;
        while j > q {
            let first = self.d[j - 1];
            let second = self.d[j];
            if second != 0.0 {
                let hypotenuse = (first * first + second * second).sqrt();
                let cosine = first / hypotenuse;
                let sine = second / hypotenuse;
                self.d[j - 1] = hypotenuse;
                self.d[j] = 0.0;
                rotate_rows(&mut self.jt, (j - 1) * n, j * n, 0, n, cosine, sine);
                rotate_pair(&mut self.ones, j - 1, cosine, sine);
            }
            j -= 1;
        }
        for k in 0..=q {
            self.triangle[k * n + q] = self.d[k];
        }
        self.active[q] = constraint;
        self.u[q] = multiplier;
        self.is_active[constraint] = true;
        self.q = q + 1;
        self.iterations += 1;
        self.snap_active_bounds();
    }

    fn drop_constraint(&mut self, position: usize) {
        let n = self.n;
        let q = self.q;
        self.is_active[self.active[position]] = false;
        for column in position..q - 1 {
            self.active[column] = self.active[column + 1];
            self.u[column] = self.u[column + 1];
            for row in 0..=column + 1 {
                self.triangle[row * n + column] = self.triangle[row * n + column + 1];
            }
        }
        for column in position..q - 1 {
            let first = self.triangle[column * n + column];
            let second = self.triangle[(column + 1) * n + column];
            if second == 0.0 {
                continue;
            }
            let hypotenuse = (first * first + second * second).sqrt();
            let cosine = first / hypotenuse;
            let sine = second / hypotenuse;
            self.triangle[column * n + column] = hypotenuse;
            self.triangle[(column + 1) * n + column] = 0.0;
            rotate_rows(&mut self.triangle, column * n, (column + 1) * n, column + 1, q - 1, cosine, sine);
            rotate_rows(&mut self.jt, column * n, (column + 1) * n, 0, n, cosine, sine);
            rotate_pair(&mut self.ones, column, cosine, sine);
        }
        self.q = q - 1;
        self.iterations += 1;
    }
}

/// |e_i - s 1| for each finite share s (NaN where none), as shareNorms in the reference.
fn share_norms(shares: &[f64], n: usize) -> Vec<f64> {
    shares
        .iter()
        .map(|&share| {
            if share.is_finite() {
                ((1.0 - share) * (1.0 - share) + (n - 1) as f64 * (share * share)).sqrt()
            } else {
                f64::NAN
            }
        })
        .collect()
}

/// sum(x) in index order.
fn sum_of(x: &[f64]) -> f64 {
    let mut total = 0.0_f64;
    for &value in x {
        total += value;
    }
    total
}

/// (v[first], v[first + 1]) = (c a + s b, c b - s a), the rotation rotate_rows applies to two rows.
#[inline(always)]
fn rotate_pair(values: &mut [f64], first: usize, cosine: f64, sine: f64) {
    let (a, b) = (values[first], values[first + 1]);
    values[first] = cosine * a + sine * b;
    values[first + 1] = cosine * b - sine * a;
}

/// d[j] = dot(row j of jt, normal) for every j, four rows at a time.
fn fill_products(jt: &[f64], n: usize, normal: &[f64], d: &mut [f64]) {
    let mut j = 0;
    while j + 4 <= n {
        let rows = [&jt[j * n..(j + 1) * n], &jt[(j + 1) * n..(j + 2) * n], &jt[(j + 2) * n..(j + 3) * n], &jt[(j + 3) * n..(j + 4) * n]];
        d[j..j + 4].copy_from_slice(&dot_four(rows, &normal[..n]));
        j += 4;
    }
    while j < n {
        d[j] = dot(&jt[j * n..(j + 1) * n], &normal[..n]);
        j += 1;
    }
}

/// (a, b) = (c a + s b, c b - s a) over entries from..to of two rows (first_row < second_row).
#[inline(always)]
fn rotate_rows(matrix: &mut [f64], first_row: usize, second_row: usize, from: usize, to: usize, cosine: f64, sine: f64) {
    if from >= to {
        return;
    }
    let (head, tail) = matrix.split_at_mut(second_row);
    let first = &mut head[first_row + from..first_row + to];
    let second = &mut tail[from..to];
    for (a, b) in first.iter_mut().zip(second.iter_mut()) {
        let (old_first, old_second) = (*a, *b);
        *a = cosine * old_first + sine * old_second;
        *b = cosine * old_second - sine * old_first;
    }
}
