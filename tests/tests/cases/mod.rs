mod test_dao_controls;
mod test_lending_health;
mod test_leverage_loop;
mod test_lifecycle;
mod test_property_sequences;
mod test_rejections;
mod test_share_fairness;
mod test_swap_pool;
