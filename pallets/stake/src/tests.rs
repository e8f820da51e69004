//! Tests of the stake pallet, named as the claims they check.
use crate::{mock::*, *};
