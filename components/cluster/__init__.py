"""The RegionalCluster room: keys, network, firewall, transit, registry, secrets, backups, EKS."""

from components.cluster.regional_cluster import RegionalCluster, RegionalClusterArgs

__all__ = ["RegionalCluster", "RegionalClusterArgs"]
